package dev.kiln.tensor;

/**
 * An ONNX map, as produced by the ML-domain operators: parallel 1-D tensors of keys
 * (int64 or string) and values.
 *
 * @param keys 1-D keys
 * @param values 1-D values, one per key
 */
public record MapValue(Tensor keys, Tensor values) implements Value {
    public MapValue {
        if (keys.rank() != 1 || values.rank() != 1 || keys.size() != values.size()) {
            throw new IllegalArgumentException("map keys and values must be 1-D and of equal length, got "
                    + keys.shape() + " and " + values.shape());
        }
    }

    @Override
    public ValueType type() {
        return new ValueType.MapType(keys.dtype(), ValueType.tensor(values.dtype()));
    }
}

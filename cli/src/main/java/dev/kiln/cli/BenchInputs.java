package dev.kiln.cli;

import dev.kiln.InvalidInputException;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Inputs for benchmarks: read from an ONNX test-data folder, or made up from the declared types
 * (uniform floats in [-1, 1), integers 1), then repeated along the first axis to a batch.
 */
public final class BenchInputs {
    private BenchInputs() {
    }

    /**
     * The inputs for one run of {@code batch} items.
     *
     * @param dir an {@code input_K.pb} folder, or null to make inputs from the declared types
     */
    public static Map<String, Tensor> prepare(List<ValueInfo> inputs, Path dir, int batch) throws IOException {
        Map<String, Tensor> r = new LinkedHashMap<>();
        if (dir != null) {
            for (Map.Entry<String, Value> e : CaseInputs.read(inputs, dir).entrySet()) {
                if (!(e.getValue() instanceof Tensor t)) {
                    throw new InvalidInputException("benchmark inputs must be tensors").forTensor(e.getKey());
                }
                r.put(e.getKey(), t);
            }
        } else {
            Random rnd = new Random(1);
            for (ValueInfo v : inputs) {
                r.put(v.name(), synthesize(v, rnd));
            }
        }
        if (batch != 1) {
            r.replaceAll((name, t) -> repeat(name, t, batch, declared(inputs, name)));
        }
        return r;
    }

    private static ValueType declared(List<ValueInfo> inputs, String name) {
        for (ValueInfo v : inputs) {
            if (v.name().equals(name)) {
                return v.type();
            }
        }
        return null;
    }

    private static Tensor synthesize(ValueInfo v, Random rnd) {
        if (!(v.type() instanceof ValueType.TensorType tt) || tt.shape() == null) {
            throw new InvalidInputException("input type is not a tensor of known rank; give --input-dir").forTensor(v.name());
        }
        SymbolicShape s = tt.shape();
        long[] dims = new long[s.rank()];
        for (int i = 0; i < dims.length; i++) {
            Dim d = s.dim(i);
            if (!d.isKnown() && i > 0) {
                throw new InvalidInputException("dimension " + i + " of " + s + " is not fixed; give --input-dir")
                        .forTensor(v.name());
            }
            dims[i] = d.isKnown() ? d.value() : 1;
        }
        Tensor t = Tensor.allocate(tt.dtype(), Shape.of(dims));
        for (long i = 0; i < t.size(); i++) {
            if (tt.dtype().isFloat()) {
                t.setDouble(i, rnd.nextDouble() * 2 - 1);
            } else if (tt.dtype() != DType.STRING) {
                t.setLong(i, 1);
            }
        }
        return t;
    }

    /** Stacks {@code batch} copies of a batch-1 tensor along axis 0. */
    private static Tensor repeat(String name, Tensor t, int batch, ValueType declared) {
        if (t.rank() == 0 || t.shape().dim(0) != 1) {
            throw new InvalidInputException("--batch needs inputs with a first dimension of 1, got " + t.shape()).forTensor(name);
        }
        if (declared instanceof ValueType.TensorType tt && tt.shape() != null && tt.shape().rank() > 0
                && tt.shape().dim(0).isKnown() && tt.shape().dim(0).value() != batch) {
            throw new InvalidInputException("the model fixes the batch dimension to " + tt.shape().dim(0).value()
                    + "; --batch " + batch + " needs a model with a free first dimension").forTensor(name);
        }
        long[] dims = t.shape().dims();
        dims[0] = batch;
        Tensor r = Tensor.allocate(t.dtype(), Shape.of(dims));
        long bytes = t.byteSize();
        for (int b = 0; b < batch; b++) {
            MemorySegment.copy(t.data(), 0, r.data(), b * bytes, bytes);
        }
        return r;
    }
}

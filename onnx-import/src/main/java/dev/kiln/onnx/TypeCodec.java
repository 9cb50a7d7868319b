package dev.kiln.onnx;

import dev.kiln.ModelFormatException;
import dev.kiln.onnx.proto.Onnx.TensorShapeProto;
import dev.kiln.onnx.proto.Onnx.TypeProto;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;

/** Converts {@code TypeProto} to {@link ValueType}. */
final class TypeCodec {
    private TypeCodec() {
    }

    /** The type, or {@code null} when the proto says nothing usable (no type, or an unknown element type). */
    static ValueType read(TypeProto t, String valueName) {
        return switch (t.getValueCase()) {
            case TENSOR_TYPE -> tensor(t.getTensorType().getElemType(), t.getTensorType().hasShape()
                    ? t.getTensorType().getShape() : null, valueName);
            case SPARSE_TENSOR_TYPE -> tensor(t.getSparseTensorType().getElemType(), t.getSparseTensorType().hasShape()
                    ? t.getSparseTensorType().getShape() : null, valueName);
            case SEQUENCE_TYPE -> {
                ValueType e = t.getSequenceType().hasElemType() ? read(t.getSequenceType().getElemType(), valueName) : null;
                yield e == null ? null : new ValueType.SequenceType(e);
            }
            case OPTIONAL_TYPE -> {
                ValueType e = t.getOptionalType().hasElemType() ? read(t.getOptionalType().getElemType(), valueName) : null;
                yield e == null ? null : new ValueType.OptionalType(e);
            }
            case MAP_TYPE -> {
                DType k = DType.fromCode(t.getMapType().getKeyType());
                ValueType v = t.getMapType().hasValueType() ? read(t.getMapType().getValueType(), valueName) : null;
                yield k == null || v == null ? null : new ValueType.MapType(k, v);
            }
            case OPAQUE_TYPE, VALUE_NOT_SET -> null;
        };
    }

    private static ValueType tensor(int elemType, TensorShapeProto shape, String valueName) {
        DType dt = DType.fromCode(elemType);
        if (dt == null) {
            throw new ModelFormatException("unknown element type " + elemType).forTensor(valueName);
        }
        if (dt == DType.UNDEFINED) {
            return null;
        }
        if (shape == null) {
            return ValueType.tensor(dt);
        }
        List<Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : shape.getDimList()) {
            if (d.hasDimValue()) {
                if (d.getDimValue() < 0) {
                    dims.add(Dim.UNKNOWN);
                } else {
                    dims.add(Dim.of(d.getDimValue()));
                }
            } else if (d.hasDimParam()) {
                dims.add(Dim.symbol(d.getDimParam()));
            } else {
                dims.add(Dim.UNKNOWN);
            }
        }
        return ValueType.tensor(dt, SymbolicShape.of(dims));
    }
}

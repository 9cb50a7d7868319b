package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.kiln.ModelFormatException;
import dev.kiln.graph.ReadLimits;
import dev.kiln.onnx.proto.Onnx.MapProto;
import dev.kiln.onnx.proto.Onnx.OptionalProto;
import dev.kiln.onnx.proto.Onnx.SequenceProto;
import dev.kiln.onnx.proto.Onnx.TensorProto;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.MapValue;
import dev.kiln.tensor.OptionalValue;
import dev.kiln.tensor.SequenceValue;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes values in the files of the ONNX test-data layout: {@code TensorProto} for
 * tensors, {@code SequenceProto}, {@code OptionalProto} and {@code MapProto} for the others.
 */
public final class OnnxValues {
    private OnnxValues() {
    }

    /** A value read from a file, with its name as stored there. */
    public record Named(String name, Value value) { }

    /**
     * Reads a value file.
     *
     * @param expected the type the file should hold (selects the message kind); {@code null} means a tensor
     */
    public static Named read(Path file, ValueType expected) throws IOException {
        try {
            return parse(Files.readAllBytes(file), expected);
        } catch (ModelFormatException e) {
            throw new ModelFormatException("'" + file.getFileName() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Reads a value from the bytes of a value file.
     *
     * @param expected the type the bytes should hold (selects the message kind); {@code null} means a tensor
     * @throws ModelFormatException when the bytes are not a valid message of that kind
     */
    public static Named parse(byte[] bytes, ValueType expected) {
        try {
            return switch (expected) {
                case ValueType.SequenceType s -> {
                    SequenceProto p = SequenceProto.parseFrom(stream(bytes));
                    yield new Named(p.getName(), sequence(p, s));
                }
                case ValueType.OptionalType o -> {
                    OptionalProto p = OptionalProto.parseFrom(stream(bytes));
                    yield new Named(p.getName(), optional(p, o));
                }
                case ValueType.MapType m -> {
                    MapProto p = MapProto.parseFrom(stream(bytes));
                    yield new Named(p.getName(), map(p));
                }
                case null, default -> {
                    TensorProto p = TensorProto.parseFrom(stream(bytes));
                    yield new Named(p.getName(), tensor(p));
                }
            };
        } catch (IOException e) {
            // InvalidProtocolBufferException; a byte array has no other I/O to fail.
            throw new ModelFormatException("not a valid value file: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            // A well-formed message whose parts do not make a value (a map with more keys than
            // values, a sequence of mixed types): the value's constructor says what is wrong.
            throw new ModelFormatException("not a valid value: " + e.getMessage(), e);
        }
    }

    private static CodedInputStream stream(byte[] bytes) {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setRecursionLimit(200);
        return in;
    }

    /** Reads a tensor from a TensorProto message. */
    public static Tensor tensor(TensorProto p) {
        Tensor t = new TensorCodec(null, null, ReadLimits.DEFAULT).read(p);
        // Values read from files must not alias the parse buffer.
        return t.copy();
    }

    private static Value sequence(SequenceProto p, ValueType.SequenceType type) {
        List<Value> elems = new ArrayList<>();
        ValueType declared = type == null ? null : type.elementType();
        switch (p.getElemType()) {
            case 1 -> p.getTensorValuesList().forEach(t -> elems.add(tensor(t)));
            case 3 -> p.getSequenceValuesList().forEach(s -> elems.add(sequence(s,
                    declared instanceof ValueType.SequenceType st ? st : null)));
            case 4 -> p.getMapValuesList().forEach(m -> elems.add(map(m)));
            case 5 -> p.getOptionalValuesList().forEach(o -> elems.add(optional(o,
                    declared instanceof ValueType.OptionalType ot ? ot : null)));
            default -> { }
        }
        ValueType elemType = declared;
        if (elemType == null) {
            elemType = elems.isEmpty() ? ValueType.tensor(DType.FLOAT) : elems.get(0).type();
        }
        return new SequenceValue(elemType, elems);
    }

    private static Value optional(OptionalProto p, ValueType.OptionalType type) {
        ValueType elemType = type == null ? null : type.elementType();
        Value v = switch (p.getElemType()) {
            case 1 -> p.hasTensorValue() ? tensor(p.getTensorValue()) : null;
            case 3 -> p.hasSequenceValue() ? sequence(p.getSequenceValue(),
                    elemType instanceof ValueType.SequenceType st ? st : null) : null;
            case 4 -> p.hasMapValue() ? map(p.getMapValue()) : null;
            case 5 -> p.hasOptionalValue() ? optional(p.getOptionalValue(),
                    elemType instanceof ValueType.OptionalType ot ? ot : null) : null;
            default -> null;
        };
        if (elemType == null) {
            elemType = v != null ? v.type() : ValueType.tensor(DType.FLOAT);
        }
        return new OptionalValue(elemType, v);
    }

    private static Value map(MapProto p) {
        DType kt = DType.fromCode(p.getKeyType());
        Tensor keys;
        if (kt == DType.STRING) {
            keys = Tensor.ofStrings(Shape.of(p.getStringKeysCount()),
                    p.getStringKeysList().stream().map(ByteString::toStringUtf8).toArray(String[]::new));
        } else {
            keys = Tensor.ofLongs(new long[] {p.getKeysCount()}, p.getKeysList().stream().mapToLong(Long::longValue).toArray());
        }
        SequenceProto vs = p.getValues();
        List<Tensor> parts = vs.getTensorValuesList().stream().map(OnnxValues::tensor).toList();
        if (parts.size() == 1 && parts.get(0).rank() == 1) {
            return new MapValue(keys, parts.get(0));
        }
        DType vt = parts.isEmpty() ? DType.FLOAT : parts.get(0).dtype();
        for (Tensor part : parts) {
            if (part.size() != 1 || part.dtype() != vt || vt == DType.STRING || vt.kind() == DType.Kind.COMPLEX) {
                throw new ModelFormatException("map values must be one tensor of values, or one number per key;"
                        + " got " + part.dtype() + part.shape());
            }
        }
        Tensor values = Tensor.allocate(vt, Shape.of(parts.size()));
        for (int i = 0; i < parts.size(); i++) {
            values.setDouble(i, parts.get(i).getDouble(0));
        }
        return new MapValue(keys, values);
    }

    /** Writes a value as the message of its kind. */
    public static void write(Path file, String name, Value value) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            switch (value) {
                case Tensor t -> TensorCodec.write(name, t).writeTo(out);
                case SequenceValue s -> sequenceProto(name, s).writeTo(out);
                case OptionalValue o -> optionalProto(name, o).writeTo(out);
                case MapValue m -> mapProto(name, m).writeTo(out);
            }
        }
    }

    private static SequenceProto sequenceProto(String name, SequenceValue s) {
        SequenceProto.Builder b = SequenceProto.newBuilder().setName(name);
        ValueType et = s.elementType();
        b.setElemType(kindCode(et));
        for (Value v : s.elements()) {
            switch (v) {
                case Tensor t -> b.addTensorValues(TensorCodec.write("", t));
                case SequenceValue q -> b.addSequenceValues(sequenceProto("", q));
                case OptionalValue o -> b.addOptionalValues(optionalProto("", o));
                case MapValue m -> b.addMapValues(mapProto("", m));
            }
        }
        return b.build();
    }

    private static OptionalProto optionalProto(String name, OptionalValue o) {
        OptionalProto.Builder b = OptionalProto.newBuilder().setName(name).setElemType(kindCode(o.elementType()));
        if (o.value() != null) {
            switch (o.value()) {
                case Tensor t -> b.setTensorValue(TensorCodec.write("", t));
                case SequenceValue q -> b.setSequenceValue(sequenceProto("", q));
                case OptionalValue x -> b.setOptionalValue(optionalProto("", x));
                case MapValue m -> b.setMapValue(mapProto("", m));
            }
        }
        return b.build();
    }

    private static MapProto mapProto(String name, MapValue m) {
        MapProto.Builder b = MapProto.newBuilder().setName(name).setKeyType(m.keys().dtype().code());
        for (long i = 0; i < m.keys().size(); i++) {
            if (m.keys().dtype() == DType.STRING) {
                b.addStringKeys(ByteString.copyFromUtf8(m.keys().getString(i)));
            } else {
                b.addKeys(m.keys().getLong(i));
            }
        }
        b.setValues(SequenceProto.newBuilder().setElemType(1).addTensorValues(TensorCodec.write("", m.values())));
        return b.build();
    }

    private static int kindCode(ValueType t) {
        return switch (t) {
            case ValueType.TensorType x -> 1;
            case ValueType.SequenceType x -> 3;
            case ValueType.MapType x -> 4;
            case ValueType.OptionalType x -> 5;
        };
    }
}

package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.ModelFormatException;
import dev.kiln.ResourceLimitException;
import dev.kiln.graph.ReadLimits;
import dev.kiln.onnx.proto.Onnx.StringStringEntryProto;
import dev.kiln.onnx.proto.Onnx.TensorProto;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Converts between {@code TensorProto} and {@link Tensor}. {@code raw_data} that protobuf
 * aliased into a mapped file becomes a tensor over that memory without a copy; the typed fields
 * ({@code float_data}, {@code int32_data}...) are copied.
 */
final class TensorCodec {
    private final MemorySegment source;
    private final ExternalData external;
    private final ReadLimits limits;
    private long total;
    private long expanded;

    /**
     * @param source the memory the message was parsed from with aliasing; {@code raw_data} inside
     *               it becomes a slice of it (so its lifetime is the source's), anything else is copied
     * @param external resolver for external data, or {@code null} when the source has no folder
     */
    TensorCodec(MemorySegment source, ExternalData external, ReadLimits limits) {
        this.source = source;
        this.external = external;
        this.limits = limits;
    }

    Tensor read(TensorProto p) {
        String name = p.getName();
        DType dtype = DType.fromCode(p.getDataType());
        if (dtype == null || dtype == DType.UNDEFINED) {
            throw new ModelFormatException("unknown tensor data type " + p.getDataType()).forTensor(name);
        }
        long[] dims = new long[p.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = p.getDims(i);
            if (dims[i] < 0) {
                throw new ModelFormatException("negative dimension " + dims[i]).forTensor(name);
            }
        }
        Shape shape;
        long bytes;
        try {
            shape = Shape.of(dims);
            bytes = dtype.byteSize(shape.size());
        } catch (ArithmeticException e) {
            throw new ModelFormatException("tensor size overflows: dims " + java.util.Arrays.toString(dims)).forTensor(name);
        }
        if (bytes > limits.maxTensorBytes()) {
            throw new ResourceLimitException("tensor of " + bytes + " bytes exceeds the limit of "
                    + limits.maxTensorBytes()).forTensor(name);
        }
        total += bytes;
        if (total > limits.maxTotalBytes()) {
            throw new ResourceLimitException("constant tensors exceed the limit of " + limits.maxTotalBytes()
                    + " bytes in all").forTensor(name);
        }
        if (p.hasSegment()) {
            throw new ModelFormatException("segmented tensors are not supported").forTensor(name);
        }
        if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return readExternal(p, dtype, shape, bytes);
        }
        if (dtype == DType.STRING) {
            if (p.getStringDataCount() != shape.size()) {
                throw new ModelFormatException(p.getStringDataCount() + " strings for shape " + shape).forTensor(name);
            }
            String[] s = new String[p.getStringDataCount()];
            for (int i = 0; i < s.length; i++) {
                s[i] = p.getStringData(i).toString(StandardCharsets.UTF_8);
            }
            return Tensor.ofStrings(shape, s);
        }
        if (p.hasRawData()) {
            ByteString raw = p.getRawData();
            if (raw.size() != bytes) {
                throw new ModelFormatException("raw_data holds " + raw.size() + " bytes, but " + dtype + shape
                        + " needs " + bytes).forTensor(name);
            }
            ByteBuffer bb = raw.asReadOnlyByteBuffer();
            if (bb.isDirect() && source != null) {
                // A slice of the source segment, not MemorySegment.ofBuffer: a buffer segment would
                // outlive an unmapped file and crash the JVM when read after the model is closed.
                long at = MemorySegment.ofBuffer(bb).address() - source.address();
                if (at >= 0 && at + bytes <= source.byteSize()) {
                    return Tensor.wrap(dtype, shape, source.asSlice(at, bytes));
                }
            }
            Tensor t = Tensor.allocate(dtype, shape);
            MemorySegment.copy(MemorySegment.ofBuffer(bb), 0, t.data(), 0, bytes);
            return t;
        }
        expand(name, bytes);
        return readTyped(p, dtype, shape, name);
    }

    /**
     * Counts {@code bytes} of new memory the reader is about to allocate for tensor {@code name}
     * (typed fields copied, a sparse tensor made dense) against the limits, before allocating.
     */
    void expand(String name, long bytes) {
        if (bytes < 0 || bytes > limits.maxTensorBytes()) {
            throw new ResourceLimitException("tensor of " + (bytes < 0 ? "more than 2^63" : bytes) + " bytes exceeds the limit of "
                    + limits.maxTensorBytes()).forTensor(name);
        }
        if (bytes > limits.maxExpandedBytes() - expanded) {
            throw new ResourceLimitException("expanding " + bytes + " bytes would exceed the limit of "
                    + limits.maxExpandedBytes() + " bytes of expanded tensor data").forTensor(name);
        }
        expanded += bytes;
    }

    private Tensor readExternal(TensorProto p, DType dtype, Shape shape, long bytes) {
        String name = p.getName();
        if (external == null) {
            throw new ModelFormatException("external data is not allowed here").forTensor(name);
        }
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : p.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> { }
                }
            } catch (NumberFormatException ex) {
                throw new ModelFormatException("external data " + e.getKey() + " '" + e.getValue()
                        + "' is not a number").forTensor(name);
            }
        }
        if (dtype == DType.STRING) {
            throw new ModelFormatException("string tensors cannot use external data").forTensor(name);
        }
        if (length >= 0 && length != bytes) {
            throw new ModelFormatException("external data length " + length + " does not match " + dtype + shape
                    + " (" + bytes + " bytes)").forTensor(name);
        }
        MemorySegment seg = external.slice(name, location, offset, length < 0 ? bytes : length);
        return Tensor.wrap(dtype, shape, seg);
    }

    private static Tensor readTyped(TensorProto p, DType dtype, Shape shape, String name) {
        long n = shape.size();
        Tensor t = Tensor.allocate(dtype, shape);
        MemorySegment out = t.data();
        switch (dtype) {
            case FLOAT, COMPLEX64 -> {
                long count = dtype == DType.COMPLEX64 ? 2 * n : n;
                expect(p.getFloatDataCount(), count, "float_data", name);
                for (int i = 0; i < count; i++) {
                    out.setAtIndex(Layouts.F32, i, p.getFloatData(i));
                }
            }
            case DOUBLE, COMPLEX128 -> {
                long count = dtype == DType.COMPLEX128 ? 2 * n : n;
                expect(p.getDoubleDataCount(), count, "double_data", name);
                for (int i = 0; i < count; i++) {
                    out.setAtIndex(Layouts.F64, i, p.getDoubleData(i));
                }
            }
            case INT64 -> {
                expect(p.getInt64DataCount(), n, "int64_data", name);
                for (int i = 0; i < n; i++) {
                    out.setAtIndex(Layouts.I64, i, p.getInt64Data(i));
                }
            }
            case UINT32, UINT64 -> {
                expect(p.getUint64DataCount(), n, "uint64_data", name);
                for (int i = 0; i < n; i++) {
                    t.setLong(i, p.getUint64Data(i));
                }
            }
            case FLOAT16, BFLOAT16 -> {
                expect(p.getInt32DataCount(), n, "int32_data", name);
                for (int i = 0; i < n; i++) {
                    out.setAtIndex(Layouts.I16, i, (short) p.getInt32Data(i));
                }
            }
            case FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT8E8M0 -> {
                expect(p.getInt32DataCount(), n, "int32_data", name);
                for (int i = 0; i < n; i++) {
                    out.set(Layouts.I8, i, (byte) p.getInt32Data(i));
                }
            }
            case UINT4, INT4, FLOAT4E2M1, UINT2, INT2 -> {
                long packed = dtype.byteSize(n);
                expect(p.getInt32DataCount(), packed, "int32_data", name);
                for (int i = 0; i < packed; i++) {
                    out.set(Layouts.I8, i, (byte) p.getInt32Data(i));
                }
            }
            default -> {
                expect(p.getInt32DataCount(), n, "int32_data", name);
                for (int i = 0; i < n; i++) {
                    t.setLong(i, p.getInt32Data(i));
                }
            }
        }
        return t;
    }

    private static void expect(int actual, long expected, String field, String name) {
        if (actual != expected) {
            throw new ModelFormatException(field + " holds " + actual + " values, expected " + expected).forTensor(name);
        }
    }

    /** A TensorProto with {@code raw_data} (or {@code string_data}) holding the tensor. */
    static TensorProto write(String name, Tensor t) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(t.dtype().code());
        for (int i = 0; i < t.rank(); i++) {
            b.addDims(t.shape().dim(i));
        }
        if (t.dtype() == DType.STRING) {
            for (long i = 0; i < t.size(); i++) {
                b.addStringData(ByteString.copyFromUtf8(t.getString(i)));
            }
        } else {
            b.setRawData(ByteString.copyFrom(t.data().asByteBuffer()));
        }
        return b.build();
    }
}

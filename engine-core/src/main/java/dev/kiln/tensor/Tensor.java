package dev.kiln.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense tensor: element type, shape and a contiguous row-major {@link MemorySegment} whose
 * bytes are exactly ONNX {@code raw_data} (little-endian, sub-byte types packed). String
 * tensors are the one heap-backed case.
 *
 * <p>A tensor is a view: {@link #reshape} shares the memory. Who owns the memory is decided by
 * whoever allocated the segment (a model's mapped file, a run's arena, or the garbage collector
 * for tensors made by the factories here).
 */
public final class Tensor implements Value {
    private final DType dtype;
    private final Shape shape;
    private final MemorySegment data;
    private final String[] strings;

    private Tensor(DType dtype, Shape shape, MemorySegment data, String[] strings) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.strings = strings;
    }

    // ---------------------------------------------------------------- factories

    /**
     * Wraps a segment holding exactly {@code dtype.byteSize(shape.size())} bytes (more is allowed
     * and ignored).
     */
    public static Tensor wrap(DType dtype, Shape shape, MemorySegment data) {
        Objects.requireNonNull(dtype, "dtype");
        if (dtype == DType.STRING) {
            throw new IllegalArgumentException("string tensors are not backed by memory; use ofStrings");
        }
        long need = dtype.byteSize(shape.size());
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for "
                    + dtype + shape + " (" + need + " bytes)");
        }
        return new Tensor(dtype, shape, data.byteSize() == need ? data : data.asSlice(0, need), null);
    }

    /** A zero-filled tensor allocated in {@code arena}. */
    public static Tensor allocate(DType dtype, Shape shape, Arena arena) {
        if (dtype == DType.STRING) {
            String[] s = new String[Math.toIntExact(shape.size())];
            Arrays.fill(s, "");
            return new Tensor(dtype, shape, MemorySegment.NULL, s);
        }
        return new Tensor(dtype, shape, arena.allocate(Math.max(dtype.byteSize(shape.size()), 0), 64), null);
    }

    /** A zero-filled tensor whose memory the garbage collector frees. */
    public static Tensor allocate(DType dtype, Shape shape) {
        return allocate(dtype, shape, Arena.ofAuto());
    }

    /** A string tensor. */
    public static Tensor ofStrings(Shape shape, String... values) {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException(values.length + " strings for shape " + shape);
        }
        for (String v : values) {
            Objects.requireNonNull(v, "string element");
        }
        return new Tensor(DType.STRING, shape, MemorySegment.NULL, values.clone());
    }

    /** A float tensor holding a copy of {@code values}. */
    public static Tensor ofFloats(long[] shape, float... values) {
        Tensor t = allocate(DType.FLOAT, checkCount(shape, values.length));
        MemorySegment.copy(values, 0, t.data, Layouts.F32, 0, values.length);
        return t;
    }

    /** A double tensor holding a copy of {@code values}. */
    public static Tensor ofDoubles(long[] shape, double... values) {
        Tensor t = allocate(DType.DOUBLE, checkCount(shape, values.length));
        MemorySegment.copy(values, 0, t.data, Layouts.F64, 0, values.length);
        return t;
    }

    /** An int64 tensor holding a copy of {@code values}. */
    public static Tensor ofLongs(long[] shape, long... values) {
        Tensor t = allocate(DType.INT64, checkCount(shape, values.length));
        MemorySegment.copy(values, 0, t.data, Layouts.I64, 0, values.length);
        return t;
    }

    /** An int32 tensor holding a copy of {@code values}. */
    public static Tensor ofInts(long[] shape, int... values) {
        Tensor t = allocate(DType.INT32, checkCount(shape, values.length));
        MemorySegment.copy(values, 0, t.data, Layouts.I32, 0, values.length);
        return t;
    }

    /** A bool tensor holding a copy of {@code values}. */
    public static Tensor ofBooleans(long[] shape, boolean... values) {
        Tensor t = allocate(DType.BOOL, checkCount(shape, values.length));
        for (int i = 0; i < values.length; i++) {
            t.data.set(Layouts.I8, i, values[i] ? (byte) 1 : 0);
        }
        return t;
    }

    /**
     * A tensor of any fixed-size type from its raw little-endian bytes (the ONNX {@code raw_data}
     * layout).
     */
    public static Tensor ofBytes(DType dtype, long[] shape, byte[] raw) {
        Shape s = Shape.of(shape);
        if (raw.length != dtype.byteSize(s.size())) {
            throw new IllegalArgumentException(raw.length + " bytes for " + dtype + s);
        }
        Tensor t = allocate(dtype, s);
        MemorySegment.copy(raw, 0, t.data, Layouts.I8, 0, raw.length);
        return t;
    }

    /** A rank-0 float tensor. */
    public static Tensor scalar(float v) {
        return ofFloats(new long[0], v);
    }

    /** A rank-0 int64 tensor. */
    public static Tensor scalar(long v) {
        return ofLongs(new long[0], v);
    }

    private static Shape checkCount(long[] shape, int count) {
        Shape s = Shape.of(shape);
        if (s.size() != count) {
            throw new IllegalArgumentException(count + " values for shape " + s);
        }
        return s;
    }

    // ---------------------------------------------------------------- properties

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The shape. */
    public Shape shape() {
        return shape;
    }

    /** Number of elements. */
    public long size() {
        return shape.size();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.rank();
    }

    /** Bytes of element data (0 for strings). */
    public long byteSize() {
        return dtype.byteSize(shape.size());
    }

    /** The element memory; {@link MemorySegment#NULL} for string tensors. */
    public MemorySegment data() {
        return data;
    }

    @Override
    public ValueType type() {
        return ValueType.tensor(dtype, shape);
    }

    /** A view with another shape of the same element count. */
    public Tensor reshape(Shape newShape) {
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " to " + newShape);
        }
        return new Tensor(dtype, newShape, data, strings);
    }

    /** A copy whose memory the garbage collector frees. */
    public Tensor copy() {
        return copyTo(Arena.ofAuto());
    }

    /** A copy allocated in {@code arena}. */
    public Tensor copyTo(Arena arena) {
        if (dtype == DType.STRING) {
            return new Tensor(dtype, shape, MemorySegment.NULL, strings.clone());
        }
        Tensor t = allocate(dtype, shape, arena);
        MemorySegment.copy(data, 0, t.data, 0, byteSize());
        return t;
    }

    /** Copies this tensor's elements into {@code dst}, which must have the same type and size. */
    public void copyInto(Tensor dst) {
        if (dst.dtype != dtype || dst.size() != size()) {
            throw new IllegalArgumentException("cannot copy " + dtype + shape + " into " + dst.dtype + dst.shape);
        }
        if (dtype == DType.STRING) {
            System.arraycopy(strings, 0, dst.strings, 0, strings.length);
        } else {
            MemorySegment.copy(data, 0, dst.data, 0, byteSize());
        }
    }

    // ---------------------------------------------------------------- typed element access

    /** Float element {@code i} of a float32 tensor. */
    public float getFloat(long i) {
        return data.getAtIndex(Layouts.F32, i);
    }

    /** Sets float element {@code i} of a float32 tensor. */
    public void setFloat(long i, float v) {
        data.setAtIndex(Layouts.F32, i, v);
    }

    /** String element {@code i} of a string tensor. */
    public String getString(long i) {
        return strings[Math.toIntExact(i)];
    }

    /** Sets string element {@code i} of a string tensor. */
    public void setString(long i, String v) {
        strings[Math.toIntExact(i)] = Objects.requireNonNull(v);
    }

    /**
     * Element {@code i} as a double, for any real numeric or bool type. Unsigned 64-bit values
     * above {@code Long.MAX_VALUE} convert as unsigned.
     */
    public double getDouble(long i) {
        return switch (dtype) {
            case FLOAT -> data.getAtIndex(Layouts.F32, i);
            case DOUBLE -> data.getAtIndex(Layouts.F64, i);
            case FLOAT16 -> Float.float16ToFloat(data.getAtIndex(Layouts.I16, i));
            case BFLOAT16 -> Float.intBitsToFloat((data.getAtIndex(Layouts.I16, i) & 0xFFFF) << 16);
            case FLOAT8E4M3FN -> MiniFloat.E4M3FN.decode(data.get(Layouts.I8, i));
            case FLOAT8E4M3FNUZ -> MiniFloat.E4M3FNUZ.decode(data.get(Layouts.I8, i));
            case FLOAT8E5M2 -> MiniFloat.E5M2.decode(data.get(Layouts.I8, i));
            case FLOAT8E5M2FNUZ -> MiniFloat.E5M2FNUZ.decode(data.get(Layouts.I8, i));
            case FLOAT8E8M0 -> e8m0ToFloat(data.get(Layouts.I8, i) & 0xFF);
            case FLOAT4E2M1 -> MiniFloat.E2M1.decode(getPacked(i));
            case UINT64 -> {
                long v = data.getAtIndex(Layouts.I64, i);
                yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            default -> getLong(i);
        };
    }

    /**
     * Sets element {@code i} from a double: floating types round to nearest even (float8 kinds
     * saturate), integer types truncate toward zero and wrap to their width, bool is {@code v != 0}.
     */
    public void setDouble(long i, double v) {
        switch (dtype) {
            case FLOAT -> data.setAtIndex(Layouts.F32, i, (float) v);
            case DOUBLE -> data.setAtIndex(Layouts.F64, i, v);
            case FLOAT16 -> data.setAtIndex(Layouts.I16, i, Float.floatToFloat16((float) v));
            case BFLOAT16 -> data.setAtIndex(Layouts.I16, i, floatToBfloat16((float) v));
            case FLOAT8E4M3FN -> data.set(Layouts.I8, i, (byte) MiniFloat.E4M3FN.encode(v, true));
            case FLOAT8E4M3FNUZ -> data.set(Layouts.I8, i, (byte) MiniFloat.E4M3FNUZ.encode(v, true));
            case FLOAT8E5M2 -> data.set(Layouts.I8, i, (byte) MiniFloat.E5M2.encode(v, true));
            case FLOAT8E5M2FNUZ -> data.set(Layouts.I8, i, (byte) MiniFloat.E5M2FNUZ.encode(v, true));
            case FLOAT4E2M1 -> setPacked(i, MiniFloat.E2M1.encode(v, true));
            case FLOAT8E8M0 -> data.set(Layouts.I8, i, (byte) floatToE8m0(v));
            case BOOL -> data.set(Layouts.I8, i, v != 0 ? (byte) 1 : 0);
            case UINT64 -> setLong(i, doubleToUnsignedLong(v));
            default -> setLong(i, (long) v);
        }
    }

    /** Element {@code i} as a long, for integer and bool types (uint64 as its bit pattern). */
    public long getLong(long i) {
        return switch (dtype) {
            case INT64, UINT64 -> data.getAtIndex(Layouts.I64, i);
            case INT32 -> data.getAtIndex(Layouts.I32, i);
            case UINT32 -> data.getAtIndex(Layouts.I32, i) & 0xFFFFFFFFL;
            case INT16 -> data.getAtIndex(Layouts.I16, i);
            case UINT16 -> data.getAtIndex(Layouts.I16, i) & 0xFFFF;
            case INT8 -> data.get(Layouts.I8, i);
            case UINT8, BOOL -> data.get(Layouts.I8, i) & 0xFF;
            case UINT4 -> getPacked(i);
            case INT4 -> (getPacked(i) << 28) >> 28;
            case UINT2 -> getPacked(i);
            case INT2 -> (getPacked(i) << 30) >> 30;
            default -> {
                if (dtype.isFloat()) {
                    yield (long) getDouble(i);
                }
                throw new UnsupportedOperationException("getLong on a " + dtype + " tensor");
            }
        };
    }

    /** Sets element {@code i}, wrapping to the type's width (bool: {@code v != 0}). */
    public void setLong(long i, long v) {
        switch (dtype) {
            case INT64, UINT64 -> data.setAtIndex(Layouts.I64, i, v);
            case INT32, UINT32 -> data.setAtIndex(Layouts.I32, i, (int) v);
            case INT16, UINT16 -> data.setAtIndex(Layouts.I16, i, (short) v);
            case INT8, UINT8 -> data.set(Layouts.I8, i, (byte) v);
            case BOOL -> data.set(Layouts.I8, i, v != 0 ? (byte) 1 : 0);
            case UINT4, INT4 -> setPacked(i, (int) v & 0xF);
            case UINT2, INT2 -> setPacked(i, (int) v & 0x3);
            default -> {
                if (dtype.isFloat()) {
                    setDouble(i, v);
                } else {
                    throw new UnsupportedOperationException("setLong on a " + dtype + " tensor");
                }
            }
        }
    }

    /** Element {@code i} of a bool tensor. */
    public boolean getBoolean(long i) {
        return data.get(Layouts.I8, i) != 0;
    }

    private int getPacked(long i) {
        int bits = dtype.bits();
        long bit = i * bits;
        int b = data.get(Layouts.I8, bit >>> 3) & 0xFF;
        return (b >>> (bit & 7)) & ((1 << bits) - 1);
    }

    private void setPacked(long i, int v) {
        int bits = dtype.bits();
        long bit = i * bits;
        int shift = (int) (bit & 7);
        int mask = ((1 << bits) - 1) << shift;
        int b = data.get(Layouts.I8, bit >>> 3) & 0xFF;
        data.set(Layouts.I8, bit >>> 3, (byte) ((b & ~mask) | ((v << shift) & mask)));
    }

    /** Rounds a float to bfloat16 bits, nearest even; NaN stays NaN. */
    public static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    private static float e8m0ToFloat(int code) {
        return code == 0xFF ? Float.NaN : (float) Math.scalb(1.0, code - 127);
    }

    private static int floatToE8m0(double v) {
        if (Double.isNaN(v)) {
            return 0xFF;
        }
        if (v <= 0) {
            return 0;
        }
        if (Double.isInfinite(v)) {
            return 0xFE;
        }
        int e = Math.getExponent(v);
        boolean exact = Math.scalb(1.0, e) == v;
        int code = e + 127 + (exact ? 0 : 1);
        return Math.max(0, Math.min(0xFE, code));
    }

    private static long doubleToUnsignedLong(double v) {
        if (v >= 9.223372036854775807E18) {
            return (long) (v - 9.223372036854775807E18) + Long.MIN_VALUE;
        }
        return (long) v;
    }

    // ---------------------------------------------------------------- bulk access

    /** The elements of a float32 tensor as a new array. */
    public float[] toFloatArray() {
        requireType(DType.FLOAT);
        return data.toArray(Layouts.F32);
    }

    /** The elements converted to double, any real numeric type. */
    public double[] toDoubleArray() {
        double[] out = new double[Math.toIntExact(size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    /** The elements converted to long, any integer or bool type. */
    public long[] toLongArray() {
        long[] out = new long[Math.toIntExact(size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    /** The elements of a string tensor. */
    public String[] toStringArray() {
        requireType(DType.STRING);
        return strings.clone();
    }

    private void requireType(DType t) {
        if (dtype != t) {
            throw new IllegalStateException("expected a " + t + " tensor, got " + dtype);
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + shape + ")";
    }
}

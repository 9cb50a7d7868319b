package dev.kiln.tensor;

/**
 * Every ONNX tensor element type, with the codes of {@code TensorProto.DataType}.
 *
 * <p>Element bytes are stored exactly as ONNX {@code raw_data} stores them: little-endian,
 * sub-byte types (int4, uint4, float4, int2, uint2) packed low nibble / low bits first,
 * bfloat16 and the float8 kinds as their bit patterns. {@link #STRING} is the one type
 * whose elements live on the Java heap.
 */
public enum DType {
    UNDEFINED(0, 0, Kind.NONE, "undefined"),
    FLOAT(1, 32, Kind.FLOAT, "float"),
    UINT8(2, 8, Kind.UNSIGNED, "uint8"),
    INT8(3, 8, Kind.SIGNED, "int8"),
    UINT16(4, 16, Kind.UNSIGNED, "uint16"),
    INT16(5, 16, Kind.SIGNED, "int16"),
    INT32(6, 32, Kind.SIGNED, "int32"),
    INT64(7, 64, Kind.SIGNED, "int64"),
    STRING(8, 0, Kind.STRING, "string"),
    BOOL(9, 8, Kind.BOOL, "bool"),
    FLOAT16(10, 16, Kind.FLOAT, "float16"),
    DOUBLE(11, 64, Kind.FLOAT, "double"),
    UINT32(12, 32, Kind.UNSIGNED, "uint32"),
    UINT64(13, 64, Kind.UNSIGNED, "uint64"),
    COMPLEX64(14, 64, Kind.COMPLEX, "complex64"),
    COMPLEX128(15, 128, Kind.COMPLEX, "complex128"),
    BFLOAT16(16, 16, Kind.FLOAT, "bfloat16"),
    FLOAT8E4M3FN(17, 8, Kind.FLOAT, "float8e4m3fn"),
    FLOAT8E4M3FNUZ(18, 8, Kind.FLOAT, "float8e4m3fnuz"),
    FLOAT8E5M2(19, 8, Kind.FLOAT, "float8e5m2"),
    FLOAT8E5M2FNUZ(20, 8, Kind.FLOAT, "float8e5m2fnuz"),
    UINT4(21, 4, Kind.UNSIGNED, "uint4"),
    INT4(22, 4, Kind.SIGNED, "int4"),
    FLOAT4E2M1(23, 4, Kind.FLOAT, "float4e2m1"),
    FLOAT8E8M0(24, 8, Kind.FLOAT, "float8e8m0"),
    UINT2(25, 2, Kind.UNSIGNED, "uint2"),
    INT2(26, 2, Kind.SIGNED, "int2");

    /** The broad family of an element type. */
    public enum Kind { NONE, FLOAT, SIGNED, UNSIGNED, BOOL, STRING, COMPLEX }

    private static final DType[] BY_CODE = new DType[27];

    static {
        for (DType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int bits;
    private final Kind kind;
    private final String onnxName;

    DType(int code, int bits, Kind kind, String onnxName) {
        this.code = code;
        this.bits = bits;
        this.kind = kind;
        this.onnxName = onnxName;
    }

    /** The {@code TensorProto.DataType} code. */
    public int code() {
        return code;
    }

    /** Bits per element; 0 for {@link #STRING} and {@link #UNDEFINED}. */
    public int bits() {
        return bits;
    }

    /** The element family. */
    public Kind kind() {
        return kind;
    }

    /** The lower-case ONNX name, e.g. {@code float16}. */
    public String onnxName() {
        return onnxName;
    }

    /** True for IEEE and non-IEEE floating point types (float8, bfloat16, ...). */
    public boolean isFloat() {
        return kind == Kind.FLOAT;
    }

    /** True for signed and unsigned integer types (not bool). */
    public boolean isInteger() {
        return kind == Kind.SIGNED || kind == Kind.UNSIGNED;
    }

    /** True when elements occupy less than one byte and are packed. */
    public boolean isPacked() {
        return bits > 0 && bits < 8;
    }

    /** Bytes needed to store {@code count} elements, packed types rounded up to whole bytes. */
    public long byteSize(long count) {
        if (bits == 0) {
            return 0;
        }
        return Math.addExact(Math.multiplyExact(count, (long) bits), 7) / 8;
    }

    /** The type with the given ONNX code, or {@code null} if the code names no type. */
    public static DType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    @Override
    public String toString() {
        return onnxName;
    }
}

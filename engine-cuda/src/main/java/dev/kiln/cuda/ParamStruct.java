package dev.kiln.cuda;

import java.io.ByteArrayOutputStream;

/**
 * The bytes of a kernel parameter struct (the structs of {@code native/cuda/kiln_cuda.cuh} and
 * the kernel sources), little-endian, written field by field in declaration order. The C
 * structs put their 8-byte fields first, so no padding falls between fields; the end is padded
 * to 8 bytes as C pads the struct.
 */
public final class ParamStruct {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Appends {@code long long} fields. */
    public ParamStruct i64(long... vs) {
        for (long v : vs) {
            for (int b = 0; b < 8; b++) {
                out.write((int) (v >>> (8 * b)));
            }
        }
        return this;
    }

    /** Appends {@code int} fields. */
    public ParamStruct i32(int... vs) {
        for (int v : vs) {
            for (int b = 0; b < 4; b++) {
                out.write(v >>> (8 * b));
            }
        }
        return this;
    }

    /** Appends {@code float} fields. */
    public ParamStruct f32(float... vs) {
        for (float v : vs) {
            i32(Float.floatToRawIntBits(v));
        }
        return this;
    }

    /** The struct's bytes, padded to a multiple of 8. */
    public byte[] bytes() {
        byte[] b = out.toByteArray();
        return java.util.Arrays.copyOf(b, (b.length + 7) / 8 * 8);
    }
}

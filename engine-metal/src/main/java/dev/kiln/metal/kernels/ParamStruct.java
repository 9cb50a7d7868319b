package dev.kiln.metal.kernels;

import java.io.ByteArrayOutputStream;

/**
 * The bytes of a kernel parameter struct (the structs of {@code native/metal}), little-endian,
 * field by field in declaration order. The structs hold only 4-byte int and float fields, so
 * no padding falls anywhere in MSL or in C++.
 */
final class ParamStruct {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Appends {@code int} fields, each checked to fit. */
    ParamStruct i32(long... vs) {
        for (long v : vs) {
            int x = Math.toIntExact(v);
            for (int b = 0; b < 4; b++) {
                out.write(x >>> (8 * b));
            }
        }
        return this;
    }

    /** Appends {@code float} fields. */
    ParamStruct f32(float... vs) {
        for (float v : vs) {
            i32(Float.floatToRawIntBits(v));
        }
        return this;
    }

    /** Appends an {@code int[n]} array: {@code vs} padded with {@code fill}. */
    ParamStruct i32s(int n, long fill, long... vs) {
        for (int i = 0; i < n; i++) {
            i32(i < vs.length ? vs[i] : fill);
        }
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}

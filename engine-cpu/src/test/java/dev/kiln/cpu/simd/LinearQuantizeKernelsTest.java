package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * QuantizeLinear and DequantizeLinear with one scale and zero point against the reference kernels,
 * bit for bit: lengths with tails shorter than a vector, both 8-bit types, with and without a
 * zero point, saturating values, halfway quotients, NaN and infinities.
 */
class LinearQuantizeKernelsTest {
    private final Random rnd = new Random(23);
    private static final long[][] SHAPES = {{1}, {3}, {17}, {5, 31}, {2, 67, 129}};

    @Test
    void quantizeMatchesReference() {
        for (long[] shape : SHAPES) {
            for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
                byte zero = (byte) (t == DType.UINT8 ? 131 : -7);
                OneNode.of("QuantizeLinear").opset(13).input(OneNode.random(rnd, -3f, 5f, shape))
                        .constant(Tensor.ofFloats(new long[0], 0.02f))
                        .constant(Tensor.ofBytes(t, new long[0], new byte[] {zero})).matchesReference(0, 0);
            }
            // No zero point: uint8 with zero point 0, so negative values saturate to 0.
            OneNode.of("QuantizeLinear").opset(13).input(OneNode.random(rnd, -1f, 4f, shape))
                    .constant(Tensor.ofFloats(new long[0], 0.011f)).matchesReference(0, 0);
        }
        float[] special = new float[70];
        for (int i = 0; i < special.length; i++) {
            special[i] = (i - 35) * 0.5f;
        }
        special[3] = Float.NaN;
        special[4] = Float.POSITIVE_INFINITY;
        special[5] = Float.NEGATIVE_INFINITY;
        special[40] = Float.NaN;
        special[41] = Float.POSITIVE_INFINITY;
        for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
            OneNode.of("QuantizeLinear").opset(13).input(Tensor.ofFloats(new long[] {special.length}, special))
                    .constant(Tensor.ofFloats(new long[0], 1f))
                    .constant(Tensor.ofBytes(t, new long[0], new byte[] {3})).matchesReference(0, 0);
        }
        assertTrue(OneNode.of("QuantizeLinear").opset(13).input(OneNode.random(rnd, 9)).constant(Tensor.ofFloats(new long[0], 1f))
                .bindsFast());
    }

    @Test
    void dequantizeMatchesReference() {
        for (long[] shape : SHAPES) {
            for (DType t : new DType[] {DType.UINT8, DType.INT8}) {
                OneNode.of("DequantizeLinear").opset(13).input(bytes(t, shape)).constant(Tensor.ofFloats(new long[0], 0.37f))
                        .constant(bytes(t)).matchesReference(0, 0);
                OneNode.of("DequantizeLinear").opset(13).input(bytes(t, shape)).constant(Tensor.ofFloats(new long[0], 3e-3f))
                        .matchesReference(0, 0);
            }
        }
        // A scale per channel stays on the reference kernel's handling.
        OneNode.of("DequantizeLinear").opset(13).attr("axis", 0L).input(bytes(DType.INT8, 3, 20))
                .constant(Tensor.ofFloats(new long[] {3}, 0.5f, 0.25f, 2f)).constant(bytes(DType.INT8, 3))
                .matchesReference(0, 0);
    }

    private Tensor bytes(DType t, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        byte[] v = new byte[Math.toIntExact(n)];
        rnd.nextBytes(v);
        return Tensor.ofBytes(t, shape, v);
    }
}

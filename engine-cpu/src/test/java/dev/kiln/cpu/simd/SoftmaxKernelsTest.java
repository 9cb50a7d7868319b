package dev.kiln.cpu.simd;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Softmax and LogSoftmax against the reference kernels, both axis conventions. */
class SoftmaxKernelsTest {
    private final Random rnd = new Random(5);

    /** The exponentials' sum follows one documented order, bit for bit, whatever the vector width. */
    @Test
    void expSumFollowsTheFixedOrder() {
        for (int n : new int[] {1, 5, 15, 16, 17, 31, 32, 48, 100, 128, 1000}) {
            java.lang.foreign.MemorySegment x = OneNode.random(rnd, -10f, 10f, n).data();
            java.lang.foreign.MemorySegment e = java.lang.foreign.Arena.ofAuto().allocate(4L * n);
            float got = VectorMath.expShiftedSum(x, 0, 1.5f, e, 0, n, true);
            float[] lanes = new float[VectorMath.SUM_LANES];
            int full = n - n % VectorMath.SUM_LANES;
            for (int i = 0; i < full; i++) {
                lanes[i % VectorMath.SUM_LANES] += e.getAtIndex(dev.kiln.tensor.Layouts.F32, i);
            }
            float want = 0;
            for (float v : lanes) {
                want += v;
            }
            for (int i = full; i < n; i++) {
                want += e.getAtIndex(dev.kiln.tensor.Layouts.F32, i);
            }
            org.junit.jupiter.api.Assertions.assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), "length " + n);
        }
    }

    @Test
    void softmaxMatchesReference() {
        long[][] shapes = {{1}, {5}, {3, 17}, {2, 3, 33}, {1, 12, 128, 128}, {4, 1000}};
        for (String op : new String[] {"Softmax", "LogSoftmax"}) {
            for (long[] s : shapes) {
                OneNode.of(op).opset(13).input(OneNode.random(rnd, -10, 10, s)).matchesReference(1e-5, 1e-7);
                if (s.length > 1) {
                    OneNode.of(op).opset(11).input(OneNode.random(rnd, -10, 10, s)).matchesReference(1e-5, 1e-7);
                    OneNode.of(op).opset(13).attr("axis", 0L).input(OneNode.random(rnd, -10, 10, s))
                            .matchesReference(1e-5, 1e-7);
                    OneNode.of(op).opset(11).attr("axis", 0L).input(OneNode.random(rnd, -10, 10, s))
                            .matchesReference(1e-5, 1e-7);
                }
            }
        }
    }
}

package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** CumSum, CumProd, Det, DepthToSpace, SpaceToDepth, ReverseSequence and PRelu. */
class RearrangeAndMathKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    @Test
    void cumulativeExclusiveReverseAlongAnAxis() {
        Tensor x = Tensor.ofInts(s(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor sum = NodeRunner.op("CumSum").attr("exclusive", 1L).attr("reverse", 1L).run1(x, Tensor.ofInts(s(), -1));
        assertArrayEquals(new long[] {5, 3, 0, 11, 6, 0}, sum.toLongArray());
        Tensor prod = NodeRunner.op("CumProd").run1(x, Tensor.ofLongs(s(1), 0));
        assertArrayEquals(new long[] {1, 2, 3, 4, 10, 18}, prod.toLongArray());
        Tensor pe = NodeRunner.op("CumProd").attr("exclusive", 1L).run1(Tensor.ofDoubles(s(3), 2, 3, 4), Tensor.scalar(0L));
        assertArrayEquals(new double[] {1, 2, 6}, pe.toDoubleArray());
    }

    @Test
    void detOfBatchesIncludingSingularAndPivoting() {
        // [[0, 1], [1, 0]] needs a row swap: det -1; [[1, 2], [2, 4]] is singular.
        Tensor x = Tensor.ofDoubles(s(3, 2, 2), 0, 1, 1, 0, 1, 2, 2, 4, 2, 0, 0, 3);
        Tensor y = NodeRunner.op("Det").run1(x);
        assertEquals(Shape.of(3), y.shape());
        assertArrayEquals(new double[] {-1, 0, 6}, y.toDoubleArray(), 1e-12);
        Tensor m = Tensor.ofFloats(s(3, 3), 2, -3, 1, 2, 0, -1, 1, 4, 5);
        assertEquals(49f, NodeRunner.op("Det").run1(m).getFloat(0), 1e-4f);
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("Det").run1(Tensor.ofFloats(s(2, 3), 1, 2, 3,
                4, 5, 6)));
    }

    @Test
    void depthToSpaceModesAndItsInverse() {
        long[] v = new long[8];
        for (int i = 0; i < 8; i++) {
            v[i] = i;
        }
        // [1, 8, 1, 1] with blocksize 2: C/4 = 2 output channels of 2x2.
        Tensor x = Tensor.ofLongs(s(1, 8, 1, 1), v);
        Tensor dcr = NodeRunner.op("DepthToSpace").attr("blocksize", 2L).run1(x);
        assertEquals(Shape.of(1, 2, 2, 2), dcr.shape());
        // DCR: channel (b1, b2, c) -> out[c][b1][b2]: c varies fastest in the input.
        assertArrayEquals(new long[] {0, 2, 4, 6, 1, 3, 5, 7}, dcr.toLongArray());
        Tensor crd = NodeRunner.op("DepthToSpace").attr("blocksize", 2L).attr("mode", "CRD").run1(x);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7}, crd.toLongArray());
        Tensor back = NodeRunner.op("SpaceToDepth").attr("blocksize", 2L).run1(dcr);
        assertArrayEquals(v, back.toLongArray());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("DepthToSpace").attr("blocksize", 3L).run1(x));
    }

    @Test
    void reverseSequenceWithBatchFirst() {
        Tensor x = Tensor.ofStrings(Shape.of(2, 3), "a", "b", "c", "d", "e", "f");
        Tensor y = NodeRunner.op("ReverseSequence").attr("batch_axis", 0L).attr("time_axis", 1L)
                .run1(x, Tensor.ofLongs(s(2), 3, 2));
        assertArrayEquals(new String[] {"c", "b", "a", "e", "d", "f"}, y.toStringArray());
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("ReverseSequence").attr("batch_axis", 0L)
                .attr("time_axis", 1L).run1(x, Tensor.ofLongs(s(2), 4, 1)));
    }

    @Test
    void preluSlopeBroadcastsOneWayAndPerChannelBeforeOpset7() {
        Tensor x = Tensor.ofFloats(s(1, 2, 2), -1, -2, 3, -4);
        Tensor slope = Tensor.ofFloats(s(2), 0.5f, 0.25f);
        // Opset 6: one slope per channel (axis 1).
        assertArrayEquals(new float[] {-0.5f, -1, 3, -1}, NodeRunner.op("PRelu").opset(6).run1(x, slope).toFloatArray());
        // Opset 7+: numpy broadcasting from the right, the last axis.
        assertArrayEquals(new float[] {-0.5f, -0.5f, 3, -1}, NodeRunner.op("PRelu").run1(x, slope).toFloatArray());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("PRelu").run1(Tensor.ofFloats(s(2), -1, 1), Tensor.ofFloats(s(2, 2), 1, 2, 3, 4)));
        Tensor ints = NodeRunner.op("PRelu").run1(Tensor.ofInts(s(2), -3, 3), Tensor.ofInts(s(1), 2));
        assertArrayEquals(new long[] {-6, 3}, ints.toLongArray());
    }
}

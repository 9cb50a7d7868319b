package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Type and version corner cases of the elementwise, matrix and data movement operators. */
class ElementwiseAndMovementKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    private static Tensor uint64(long... bits) {
        Tensor t = Tensor.ofBytes(DType.UINT64, s(bits.length), new byte[8 * bits.length]);
        for (int i = 0; i < bits.length; i++) {
            t.setLong(i, bits[i]);
        }
        return t;
    }

    @Test
    void absAndSignLeaveLargeUint64Alone() {
        Tensor x = uint64(-5L, 0, 7);
        assertArrayEquals(new long[] {-5L, 0, 7}, NodeRunner.op("Abs").run1(x).toLongArray());
        assertArrayEquals(new long[] {1, 0, 1}, NodeRunner.op("Sign").run1(x).toLongArray());
        assertArrayEquals(new long[] {-1, 0, 1}, NodeRunner.op("Sign").run1(Tensor.ofInts(s(3), -9, 0, 4)).toLongArray());
    }

    @Test
    void clipWithMinAboveMaxGivesMaxForEveryType() {
        Tensor f = NodeRunner.op("Clip").run1(Tensor.ofFloats(s(2), -1, 9), Tensor.scalar(5f), Tensor.scalar(2f));
        assertArrayEquals(new float[] {2, 2}, f.toFloatArray());
        Tensor u = NodeRunner.op("Clip").run1(uint64(1, -1L), uint64(5), uint64(2));
        assertArrayEquals(new long[] {2, 2}, u.toLongArray());
        Tensor lo = NodeRunner.op("Clip").run1(uint64(1, -1L), uint64(5));
        assertArrayEquals(new long[] {5, -1L}, lo.toLongArray());
    }

    @Test
    void integerPowIsExact() {
        // 3^39 needs 62 bits: a double would round it.
        Tensor y = NodeRunner.op("Pow").run1(Tensor.ofLongs(s(2), 3, -2), Tensor.ofInts(s(2), 39, 3));
        assertArrayEquals(new long[] {4052555153018976267L, -8}, y.toLongArray());
        Tensor neg = NodeRunner.op("Pow").run1(Tensor.ofInts(s(2), 2, -1), Tensor.ofLongs(s(2), -1, -1));
        assertArrayEquals(new long[] {0, -1}, neg.toLongArray());
        Tensor mixed = NodeRunner.op("Pow").run1(Tensor.ofFloats(s(1), 2), Tensor.ofLongs(s(1), 10));
        assertArrayEquals(new float[] {1024}, mixed.toFloatArray());
    }

    @Test
    void integerGemmAppliesAlphaAndBetaAndChecksC() {
        Tensor a = Tensor.ofInts(s(1, 2), 1, 2);
        Tensor b = Tensor.ofInts(s(2, 1), 3, 4);
        Tensor y = NodeRunner.op("Gemm").attr("alpha", 2f).attr("beta", 3f).run1(a, b, Tensor.ofInts(s(1), 1));
        assertArrayEquals(new long[] {2 * 11 + 3}, y.toLongArray());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("Gemm").run1(a, b, Tensor.ofInts(s(2, 2), 1, 2, 3, 4)));
    }

    @Test
    void oldConcatSplitAndTileVersions() {
        Tensor x = Tensor.ofFloats(s(1, 2), 1, 2);
        Tensor c = NodeRunner.op("Concat").opset(1).run1(x, x);
        assertEquals(Shape.of(1, 4), c.shape());
        Tensor[] parts = NodeRunner.op("Split").opset(1).attr("axis", 1L).run(2, x, Tensor.ofLongs(s(2), 1, 1));
        assertArrayEquals(new float[] {2}, parts[1].toFloatArray());
        Tensor t = NodeRunner.op("Tile").opset(1).run1(x, Tensor.scalar(3L), Tensor.scalar(1L));
        assertArrayEquals(new float[] {1, 2, 1, 2, 1, 2}, t.toFloatArray());
    }

    @Test
    void expandBroadcastsBothWays() {
        Tensor x = Tensor.ofInts(s(3, 1), 1, 2, 3);
        Tensor y = NodeRunner.op("Expand").run1(x, Tensor.ofLongs(s(3), 2, 1, 2));
        assertEquals(Shape.of(2, 3, 2), y.shape());
        assertArrayEquals(new long[] {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, y.toLongArray());
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("Expand").run1(x, Tensor.ofLongs(s(2), 2, 2)));
    }

    @Test
    void sliceWithNegativeStepsAndExtremeBounds() {
        Tensor x = Tensor.ofInts(s(5), 0, 1, 2, 3, 4);
        Tensor y = NodeRunner.op("Slice").run1(x, Tensor.ofLongs(s(1), Long.MAX_VALUE),
                Tensor.ofLongs(s(1), Long.MIN_VALUE), Tensor.ofLongs(s(1), 0), Tensor.ofLongs(s(1), -2));
        assertArrayEquals(new long[] {4, 2, 0}, y.toLongArray());
        Tensor e = NodeRunner.op("Slice").run1(x, Tensor.ofLongs(s(1), 3), Tensor.ofLongs(s(1), 1));
        assertEquals(Shape.of(0), e.shape());
    }
}

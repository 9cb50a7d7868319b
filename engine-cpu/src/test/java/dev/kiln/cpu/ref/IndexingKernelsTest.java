package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

class IndexingKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    @Test
    void gatherElementsTakesAlongTheLastAxisWithSmallerIndices() {
        Tensor data = Tensor.ofFloats(s(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor idx = Tensor.ofInts(s(2, 2), 2, -3, 1, 1);
        Tensor y = NodeRunner.op("GatherElements").attr("axis", -1L).run1(data, idx);
        assertEquals(Shape.of(2, 2), y.shape());
        assertArrayEquals(new float[] {3, 1, 5, 5}, y.toFloatArray());
    }

    @Test
    void gatherElementsRejectsIndicesOutOfRange() {
        Tensor data = Tensor.ofFloats(s(2), 1, 2);
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("GatherElements").run1(data, Tensor.ofLongs(s(1), 2)));
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("GatherElements").run1(data, Tensor.ofLongs(s(1), -3)));
    }

    @Test
    void gatherElementsMovesStrings() {
        Tensor data = Tensor.ofStrings(Shape.of(3), "a", "b", "c");
        Tensor y = NodeRunner.op("GatherElements").run1(data, Tensor.ofLongs(s(4), 2, 0, 2, -2));
        assertArrayEquals(new String[] {"c", "a", "c", "b"}, y.toStringArray());
    }

    @Test
    void gatherNdWithTwoBatchDimsAndFullDepthPicksScalars() {
        // data[b0][b1][i][j]; indices[b0][b1][n][2] pick single elements.
        float[] v = new float[2 * 2 * 2 * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        Tensor data = Tensor.ofFloats(s(2, 2, 2, 3), v);
        Tensor idx = Tensor.ofLongs(s(2, 2, 1, 2), 0, 0, 1, 2, 1, -1, 0, 1);
        Tensor y = NodeRunner.op("GatherND").attr("batch_dims", 2L).run1(data, idx);
        assertEquals(Shape.of(2, 2, 1), y.shape());
        // [0][0][0][0]=0, [0][1][1][2]=6+3+2=11, [1][0][1][2]=12+5=17, [1][1][0][1]=18+1=19
        assertArrayEquals(new float[] {0, 11, 17, 19}, y.toFloatArray());
    }

    @Test
    void gatherNdTakesSlicesAndChecksDepth() {
        Tensor data = Tensor.ofLongs(s(2, 2), 0, 1, 2, 3);
        Tensor y = NodeRunner.op("GatherND").run1(data, Tensor.ofLongs(s(2, 1), 1, 0));
        assertArrayEquals(new long[] {2, 3, 0, 1}, y.toLongArray());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("GatherND").run1(data, Tensor.ofLongs(s(1, 3), 0, 0, 0)));
    }

    @Test
    void compressWithoutAxisFlattensAndIgnoresTheMissingTail() {
        Tensor x = Tensor.ofInts(s(2, 2), 1, 2, 3, 4);
        Tensor y = NodeRunner.op("Compress").run1(x, Tensor.ofBooleans(s(3), false, true, true));
        assertEquals(Shape.of(2), y.shape());
        assertArrayEquals(new long[] {2, 3}, y.toLongArray());
    }

    @Test
    void compressAlongAnAxis() {
        Tensor x = Tensor.ofInts(s(2, 3), 1, 2, 3, 4, 5, 6);
        Tensor y = NodeRunner.op("Compress").attr("axis", -1L).run1(x, Tensor.ofBooleans(s(3), true, false, true));
        assertEquals(Shape.of(2, 2), y.shape());
        assertArrayEquals(new long[] {1, 3, 4, 6}, y.toLongArray());
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("Compress").attr("axis", 1L)
                .run1(x, Tensor.ofBooleans(s(4), false, false, false, true)));
    }

    @Test
    void nonZeroOfAScalarHasNoRows() {
        Tensor y = NodeRunner.op("NonZero").run1(Tensor.scalar(3f));
        assertEquals(Shape.of(0, 1), y.shape());
        Tensor z = NodeRunner.op("NonZero").run1(Tensor.scalar(0f));
        assertEquals(Shape.of(0, 0), z.shape());
    }

    @Test
    void nonZeroCountsNanAndNotNegativeZeroAndEmptyStrings() {
        Tensor x = Tensor.ofFloats(s(2, 2), Float.NaN, -0f, 0f, 2f);
        Tensor y = NodeRunner.op("NonZero").run1(x);
        assertEquals(Shape.of(2, 2), y.shape());
        assertArrayEquals(new long[] {0, 1, 0, 1}, y.toLongArray());
        Tensor sy = NodeRunner.op("NonZero").run1(Tensor.ofStrings(Shape.of(3), "", "x", ""));
        assertArrayEquals(new long[] {1}, sy.toLongArray());
    }

    @Test
    void oneHotCastsFloatIndicesAndDepthAndWrapsNegativeIndices() {
        Tensor idx = Tensor.ofFloats(s(3), 1.7f, -1f, 5f);
        Tensor depth = Tensor.ofFloats(s(1), 3.9f);
        Tensor values = Tensor.ofStrings(Shape.of(2), "off", "on");
        Tensor y = NodeRunner.op("OneHot").attr("axis", 0L).run1(idx, depth, values);
        assertEquals(Shape.of(3, 3), y.shape());
        // Column j is index j: 1 -> row 1, -1 -> row 2, 5 -> out of range.
        assertArrayEquals(new String[] {"off", "off", "off", "on", "off", "off", "off", "on", "off"},
                y.toStringArray());
    }

    @Test
    void oneHotBeforeOpset11TreatsNegativeIndicesAsOutOfRange() {
        Tensor y = NodeRunner.op("OneHot").opset(9).run1(Tensor.ofLongs(s(1), -1), Tensor.ofLongs(s(), 2),
                Tensor.ofFloats(s(2), 0, 1));
        assertArrayEquals(new float[] {0, 0}, y.toFloatArray());
    }

    @Test
    void triluKeepsDiagonalsBeyondTheMatrixAndZeroesBool() {
        Tensor x = Tensor.ofBooleans(s(2, 3), true, true, true, true, true, true);
        Tensor upper = NodeRunner.op("Trilu").run1(x, Tensor.ofLongs(s(), 1));
        assertArrayEquals(new long[] {0, 1, 1, 0, 0, 1}, upper.toLongArray());
        Tensor lower = NodeRunner.op("Trilu").attr("upper", 0L).run1(x, Tensor.ofLongs(s(), -5));
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0}, lower.toLongArray());
        Tensor all = NodeRunner.op("Trilu").attr("upper", 0L).run1(x, Tensor.ofLongs(s(), 7));
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1}, all.toLongArray());
    }

    @Test
    void triluWorksOnBatchesOfStrings() {
        Tensor x = Tensor.ofStrings(Shape.of(2, 2, 2), "a", "b", "c", "d", "e", "f", "g", "h");
        Tensor y = NodeRunner.op("Trilu").attr("upper", 0L).run1(x);
        assertArrayEquals(new String[] {"a", "", "c", "d", "e", "", "g", "h"}, y.toStringArray());
    }

    @Test
    void eyeLikeFillsAnOffDiagonalOfANonSquareMatrixInTheRequestedType() {
        Tensor x = Tensor.allocate(DType.FLOAT, Shape.of(2, 4));
        Tensor y = NodeRunner.op("EyeLike").attr("k", 2L).attr("dtype", (long) DType.INT32.code()).run1(x);
        assertEquals(DType.INT32, y.dtype());
        assertArrayEquals(new long[] {0, 0, 1, 0, 0, 0, 0, 1}, y.toLongArray());
    }

    @Test
    void rangeCountsExactlyForIntegersAndRejectsZeroDelta() {
        Tensor y = NodeRunner.op("Range").run1(Tensor.ofInts(s(), 10), Tensor.ofInts(s(), 3), Tensor.ofInts(s(), -3));
        assertArrayEquals(new long[] {10, 7, 4}, y.toLongArray());
        Tensor empty = NodeRunner.op("Range").run1(Tensor.scalar(1L), Tensor.scalar(1L), Tensor.scalar(1L));
        assertEquals(Shape.of(0), empty.shape());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("Range").run1(Tensor.scalar(1L), Tensor.scalar(2L), Tensor.scalar(0L)));
    }

    @Test
    void rangeOfFloats() {
        Tensor y = NodeRunner.op("Range").run1(Tensor.scalar(0.5f), Tensor.scalar(2f), Tensor.scalar(0.5f));
        assertArrayEquals(new float[] {0.5f, 1f, 1.5f}, y.toFloatArray());
    }
}

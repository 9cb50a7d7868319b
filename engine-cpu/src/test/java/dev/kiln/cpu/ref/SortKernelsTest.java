package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SortKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    @Test
    void topKBreaksTiesByIndexAndRanksNanHighest() {
        Tensor x = Tensor.ofFloats(s(6), 3, Float.NaN, 5, 3, 5, -0f);
        Tensor[] largest = NodeRunner.op("TopK").run(2, x, Tensor.ofLongs(s(1), 4));
        assertArrayEquals(new long[] {1, 2, 4, 0}, largest[1].toLongArray());
        Tensor[] smallest = NodeRunner.op("TopK").attr("largest", 0L).run(2, x, Tensor.ofLongs(s(1), 3));
        assertArrayEquals(new long[] {5, 0, 3}, smallest[1].toLongArray());
        assertArrayEquals(new float[] {-0f, 3, 3}, smallest[0].toFloatArray());
    }

    @Test
    void topKAlongAMiddleAxisWithKAsAttributeAtOpset1() {
        Tensor x = Tensor.ofInts(s(2, 3, 2), 1, 6, 2, 5, 3, 4, 9, 7, 8, 8, 7, 9);
        Tensor[] y = NodeRunner.op("TopK").opset(1).attr("axis", 1L).attr("k", 2L).run(2, x);
        assertEquals(Shape.of(2, 2, 2), y[0].shape());
        assertArrayEquals(new long[] {3, 6, 2, 5, 9, 9, 8, 8}, y[0].toLongArray());
        assertArrayEquals(new long[] {2, 0, 1, 1, 0, 2, 1, 1}, y[1].toLongArray());
    }

    @Test
    void topKOrdersUint64Unsigned() {
        Tensor x = Tensor.ofBytes(DType.UINT64, s(3), new byte[24]);
        x.setLong(0, 1);
        x.setLong(1, -1L);
        x.setLong(2, 2);
        Tensor[] y = NodeRunner.op("TopK").run(2, x, Tensor.ofLongs(s(1), 3));
        assertArrayEquals(new long[] {1, 2, 0}, y[1].toLongArray());
    }

    @Test
    void topKAcceptsZeroAndRejectsTooLargeK() {
        Tensor x = Tensor.ofFloats(s(2), 1, 2);
        assertEquals(Shape.of(0), NodeRunner.op("TopK").run(2, x, Tensor.ofLongs(s(1), 0))[0].shape());
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("TopK").run(2, x, Tensor.ofLongs(s(1), 3)));
    }

    @Test
    void uniqueUnsortedKeepsFirstOccurrenceOrderWithAllOutputs() {
        Tensor x = Tensor.ofFloats(s(7), 2, 1, -0f, 1, 0f, 3, 2);
        Tensor[] y = NodeRunner.op("Unique").attr("sorted", 0L).run(4, x);
        assertArrayEquals(new float[] {2, 1, -0f, 3}, y[0].toFloatArray());
        assertArrayEquals(new long[] {0, 1, 2, 5}, y[1].toLongArray());
        assertArrayEquals(new long[] {0, 1, 2, 1, 2, 3, 0}, y[2].toLongArray());
        assertArrayEquals(new long[] {2, 2, 2, 1}, y[3].toLongArray());
    }

    @Test
    void uniqueSortedAlongAnAxisComparesWholeSlices() {
        // Slices along axis 1 of a [2, 3, 1] tensor: [4,0], [1,5], [4,0].
        Tensor x = Tensor.ofLongs(s(2, 3, 1), 4, 1, 4, 0, 5, 0);
        Tensor[] y = NodeRunner.op("Unique").attr("axis", -2L).run(4, x);
        assertEquals(Shape.of(2, 2, 1), y[0].shape());
        assertArrayEquals(new long[] {1, 4, 5, 0}, y[0].toLongArray());
        assertArrayEquals(new long[] {1, 0}, y[1].toLongArray());
        assertArrayEquals(new long[] {1, 0, 1}, y[2].toLongArray());
        assertArrayEquals(new long[] {1, 2}, y[3].toLongArray());
    }

    @Test
    void uniqueSortsStringsByCodePoint() {
        Tensor x = Tensor.ofStrings(Shape.of(4), "b", "\uD83D\uDE00", "\uFFFF", "b");
        Tensor y = NodeRunner.op("Unique").run1(x);
        assertArrayEquals(new String[] {"b", "\uFFFF", "\uD83D\uDE00"}, y.toStringArray());
    }
}

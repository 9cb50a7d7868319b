package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ReduceKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    @Test
    void emptyIntegerReductionsYieldTheTypeLimits() {
        Tensor x = Tensor.allocate(DType.INT32, Shape.of(2, 0));
        Tensor axes = Tensor.ofLongs(s(1), 1);
        assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MIN_VALUE},
                NodeRunner.op("ReduceMax").attr("keepdims", 0L).run1(x, axes).toLongArray());
        assertArrayEquals(new long[] {Integer.MAX_VALUE, Integer.MAX_VALUE},
                NodeRunner.op("ReduceMin").attr("keepdims", 0L).run1(x, axes).toLongArray());
        Tensor u = Tensor.allocate(DType.UINT8, Shape.of(0));
        assertArrayEquals(new long[] {255}, NodeRunner.op("ReduceMin").run1(u).toLongArray());
        Tensor f = Tensor.allocate(DType.FLOAT, Shape.of(0, 3));
        Tensor m = NodeRunner.op("ReduceMax").attr("keepdims", 0L).run1(f, Tensor.ofLongs(s(1), 0));
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY},
                m.toFloatArray());
    }

    @Test
    void uint64ReductionsCompareUnsigned() {
        Tensor x = Tensor.ofBytes(DType.UINT64, s(3), new byte[24]);
        x.setLong(0, 3);
        x.setLong(1, -2L);
        x.setLong(2, 5);
        assertEquals(-2L, NodeRunner.op("ReduceMax").attr("keepdims", 0L).run1(x).getLong(0));
        assertEquals(3L, NodeRunner.op("ReduceMin").attr("keepdims", 0L).run1(x).getLong(0));
    }

    @Test
    void noopWithEmptyAxesStillAppliesTheElementwiseSteps() {
        Tensor x = Tensor.ofFloats(s(3), -2, 1, 4);
        Tensor none = Tensor.ofLongs(s(0));
        assertArrayEquals(new float[] {4, 1, 16},
                NodeRunner.op("ReduceSumSquare").attr("noop_with_empty_axes", 1L).run1(x, none).toFloatArray());
        assertArrayEquals(new float[] {2, 1, 4},
                NodeRunner.op("ReduceL2").attr("noop_with_empty_axes", 1L).run1(x, none).toFloatArray());
        Tensor logs = NodeRunner.op("ReduceLogSum").attr("noop_with_empty_axes", 1L).run1(x, none);
        assertEquals(Math.log(4), logs.getFloat(2), 1e-6);
        assertEquals(true, Float.isNaN(logs.getFloat(0)));
        assertArrayEquals(new float[] {-2, 1, 4},
                NodeRunner.op("ReduceMax").attr("noop_with_empty_axes", 1L).run1(x).toFloatArray());
        // Without noop, empty axes reduce everything.
        assertArrayEquals(new float[] {3}, NodeRunner.op("ReduceSum").run1(x, none).toFloatArray());
    }

    @Test
    void argMaxAndArgMinPickNanAndHonourSelectLastIndex() {
        Tensor x = Tensor.ofFloats(s(5), 1, Float.NaN, 3, Float.NaN, 3);
        assertEquals(1, NodeRunner.op("ArgMax").run1(x).getLong(0));
        assertEquals(1, NodeRunner.op("ArgMin").run1(x).getLong(0));
        assertEquals(3, NodeRunner.op("ArgMin").attr("select_last_index", 1L).run1(x).getLong(0));
        Tensor y = Tensor.ofInts(s(2, 3), 4, 1, 4, 0, 9, 0);
        assertArrayEquals(new long[] {0, 1}, NodeRunner.op("ArgMax").attr("axis", 1L).attr("keepdims", 0L).run1(y)
                .toLongArray());
        assertArrayEquals(new long[] {1, 2}, NodeRunner.op("ArgMin").attr("axis", -1L).attr("keepdims", 0L)
                .attr("select_last_index", 1L).run1(y).toLongArray());
    }
}

package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ScatterKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    @Test
    void scatterElementsAddsDuplicatesInInt32() {
        Tensor data = Tensor.ofInts(s(1, 4), 1, 2, 3, Integer.MAX_VALUE);
        Tensor idx = Tensor.ofLongs(s(1, 4), 1, 1, -1, 3);
        Tensor upd = Tensor.ofInts(s(1, 4), 10, 20, 1, 1);
        Tensor y = NodeRunner.op("ScatterElements").attr("axis", 1L).attr("reduction", "add").run1(data, idx, upd);
        // int32 wraps: MAX_VALUE + 1 + 1.
        assertArrayEquals(new long[] {1, 32, 3, Integer.MIN_VALUE + 1}, y.toLongArray());
    }

    @Test
    void scatterElementsMaxAndMinCompareUint64Unsigned() {
        Tensor data = Tensor.ofBytes(DType.UINT64, s(2), new byte[16]);
        Tensor upd = Tensor.ofBytes(DType.UINT64, s(2), new byte[16]);
        upd.setLong(0, -1L);
        upd.setLong(1, 5);
        Tensor idx = Tensor.ofLongs(s(2), 0, 1);
        Tensor max = NodeRunner.op("ScatterElements").attr("reduction", "max").run1(data, idx, upd);
        assertArrayEquals(new long[] {-1L, 5}, max.toLongArray());
        Tensor min = NodeRunner.op("ScatterElements").attr("reduction", "min").run1(max, idx,
                Tensor.ofBytes(DType.UINT64, s(2), new byte[] {7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0}));
        assertArrayEquals(new long[] {7, 5}, min.toLongArray());
    }

    @Test
    void scatterElementsOnBoolAddsAsOrAndMultipliesAsAnd() {
        Tensor data = Tensor.ofBooleans(s(2), false, true);
        Tensor idx = Tensor.ofLongs(s(2), 0, 1);
        Tensor upd = Tensor.ofBooleans(s(2), true, false);
        assertArrayEquals(new long[] {1, 1},
                NodeRunner.op("ScatterElements").attr("reduction", "add").run1(data, idx, upd).toLongArray());
        assertArrayEquals(new long[] {0, 0},
                NodeRunner.op("ScatterElements").attr("reduction", "mul").run1(data, idx, upd).toLongArray());
    }

    @Test
    void scatterReplacesStringsButCannotReduceThem() {
        Tensor data = Tensor.ofStrings(Shape.of(3), "a", "b", "c");
        Tensor idx = Tensor.ofLongs(s(1), 1);
        Tensor upd = Tensor.ofStrings(Shape.of(1), "z");
        assertArrayEquals(new String[] {"a", "z", "c"}, NodeRunner.op("Scatter").opset(9).run1(data, idx, upd)
                .toStringArray());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("ScatterElements").attr("reduction", "add").run1(data, idx, upd));
    }

    @Test
    void scatterNdMultipliesSlicesWithNegativeIndices() {
        Tensor data = Tensor.ofFloats(s(3, 2), 1, 2, 3, 4, 5, 6);
        Tensor idx = Tensor.ofLongs(s(2, 1), -1, 0);
        Tensor upd = Tensor.ofFloats(s(2, 2), 10, 100, 2, 3);
        Tensor y = NodeRunner.op("ScatterND").attr("reduction", "mul").run1(data, idx, upd);
        assertArrayEquals(new float[] {2, 6, 3, 4, 50, 600}, y.toFloatArray());
    }

    @Test
    void scatterNdChecksTheUpdatesShape() {
        Tensor data = Tensor.ofFloats(s(3, 2), 1, 2, 3, 4, 5, 6);
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("ScatterND")
                .run1(data, Tensor.ofLongs(s(1, 1), 0), Tensor.ofFloats(s(1, 3), 1, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("ScatterND")
                .run1(data, Tensor.ofLongs(s(1, 1), 3), Tensor.ofFloats(s(1, 2), 1, 2)));
    }

    @Test
    void tensorScatterWritesAtEachBatchIndexAndWrapsWhenCircular() {
        // cache [batch 2, seq 3, 1]; update [2, 2, 1]; write at 1 and 2.
        Tensor past = Tensor.ofFloats(s(2, 3, 1), 0, 0, 0, 0, 0, 0);
        Tensor upd = Tensor.ofFloats(s(2, 2, 1), 1, 2, 3, 4);
        Tensor wi = Tensor.ofLongs(s(2), 1, 2);
        Tensor circular = NodeRunner.op("TensorScatter").attr("mode", "circular").run1(past, upd, wi);
        assertArrayEquals(new float[] {0, 1, 2, 4, 0, 3}, circular.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> NodeRunner.op("TensorScatter").run1(past, upd, wi));
        Tensor prefill = NodeRunner.op("TensorScatter").attr("axis", 1L).run1(past, upd);
        assertArrayEquals(new float[] {1, 2, 0, 3, 4, 0}, prefill.toFloatArray());
    }
}

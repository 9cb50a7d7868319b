package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PadKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    private static long[] pad1d(String mode, long before, long after, long... values) {
        Tensor x = Tensor.ofLongs(s(values.length), values);
        return NodeRunner.op("Pad").attr("mode", mode).run1(x, Tensor.ofLongs(s(2), before, after)).toLongArray();
    }

    @Test
    void modesRepeatPeriodicallyWhenPadsExceedTheAxis() {
        // The infinite extensions numpy.pad defines for [1, 2, 3] padded by 5 on both sides.
        assertArrayEquals(new long[] {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2}, pad1d("reflect", 5, 5, 1, 2, 3));
        assertArrayEquals(new long[] {2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2}, pad1d("wrap", 5, 5, 1, 2, 3));
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3}, pad1d("edge", 5, 5, 1, 2, 3));
        assertArrayEquals(new long[] {0, 0, 1, 2, 3, 0}, pad1d("constant", 2, 1, 1, 2, 3));
        assertArrayEquals(new long[] {7, 7, 7}, pad1d("reflect", 1, 1, 7));
    }

    @Test
    void negativePadsCropBeforeTheModeExtends() {
        assertArrayEquals(new long[] {2, 3, 4}, pad1d("constant", -1, -1, 1, 2, 3, 4, 5));
        // Crop [1, 2, 3, 4] to [2, 3, 4], then reflect two on the right.
        assertArrayEquals(new long[] {2, 3, 4, 3, 2}, pad1d("reflect", -1, 2, 1, 2, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> pad1d("constant", -2, -2, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> pad1d("edge", -1, 1, 1));
    }

    @Test
    void axesInputSelectsAxesAndConstantValueFills() {
        Tensor x = Tensor.ofFloats(s(2, 2), 1, 2, 3, 4);
        Tensor y = NodeRunner.op("Pad").run1(x, Tensor.ofLongs(s(2), 1, 0), Tensor.ofFloats(s(), 9),
                Tensor.ofInts(s(1), -2));
        assertEquals(Shape.of(3, 2), y.shape());
        assertArrayEquals(new float[] {9, 9, 1, 2, 3, 4}, y.toFloatArray());
    }

    @Test
    void padsPackedInt4AndStrings() {
        Tensor x = Tensor.ofBytes(DType.INT4, s(3), new byte[] {(byte) 0x21, 0x0F});
        Tensor y = NodeRunner.op("Pad").attr("mode", "wrap").run1(x, Tensor.ofLongs(s(2), 1, 1));
        assertArrayEquals(new long[] {-1, 1, 2, -1, 1}, y.toLongArray());
        Tensor str = Tensor.ofStrings(Shape.of(2), "a", "b");
        Tensor sy = NodeRunner.op("Pad").run1(str, Tensor.ofLongs(s(2), 1, 1), Tensor.ofStrings(Shape.SCALAR, "-"));
        assertArrayEquals(new String[] {"-", "a", "b", "-"}, sy.toStringArray());
        Tensor dy = NodeRunner.op("Pad").run1(str, Tensor.ofLongs(s(2), 0, 1));
        assertArrayEquals(new String[] {"a", "b", ""}, dy.toStringArray());
    }

    @Test
    void oldVersionsTakePadsAndValueAsAttributes() {
        Tensor x = Tensor.ofFloats(s(1, 2), 1, 2);
        Tensor v2 = NodeRunner.op("Pad").opset(2).ints("pads", 0L, 1L, 0L, 0L).attr("value", 5f).run1(x);
        assertArrayEquals(new float[] {5, 1, 2}, v2.toFloatArray());
        Tensor v1 = NodeRunner.op("Pad").opset(1).ints("paddings", 0L, 0L, 0L, 2L).attr("mode", "edge").run1(x);
        assertArrayEquals(new float[] {1, 2, 2, 2}, v1.toFloatArray());
        assertThrows(IllegalArgumentException.class,
                () -> NodeRunner.op("Pad").opset(18).attr("mode", "wrap").run1(x, Tensor.ofLongs(s(4), 0, 0, 0, 0)));
    }

    @Test
    void centerCropPadCropsLeftOfCenterAndPadsExtraOnTheRight() {
        Tensor x = Tensor.ofLongs(s(2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
        // Axis 1: 4 -> 1 crops start (4-1)/2 = 1; axis 0: 2 -> 5 pads 1 before, 2 after.
        Tensor y = NodeRunner.op("CenterCropPad").run1(x, Tensor.ofLongs(s(2), 5, 1));
        assertEquals(Shape.of(5, 1), y.shape());
        assertArrayEquals(new long[] {0, 2, 6, 0, 0}, y.toLongArray());
        Tensor z = NodeRunner.op("CenterCropPad").ints("axes", -1L).run1(x, Tensor.ofLongs(s(1), 7));
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 0, 0, 0, 5, 6, 7, 8, 0, 0}, z.toLongArray());
    }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Quantized convolution and matmul against ONNX Runtime: signed and unsigned types,
 * per-channel weight scales, int32 bias, groups, strides and padding.
 */
class QuantOracleTest {
    private final Random rnd = new Random(7);

    private Tensor bytes(DType t, long... shape) {
        Tensor x = Tensor.allocate(t, Shape.of(shape));
        for (long i = 0; i < x.size(); i++) {
            x.setLong(i, t == DType.UINT8 ? rnd.nextInt(256) : rnd.nextInt(256) - 128);
        }
        return x;
    }

    private static Tensor floats(float... v) {
        return Tensor.ofFloats(new long[] {v.length}, v);
    }

    private static Tensor scalar(DType t, long v) {
        Tensor x = Tensor.allocate(t, Shape.SCALAR);
        x.setLong(0, v);
        return x;
    }

    @ParameterizedTest(name = "x {0}, w {1}, per-channel {2}, group {3}, bias {4}")
    @CsvSource({"UINT8,UINT8,false,1,false", "UINT8,INT8,true,1,true", "INT8,INT8,true,2,true", "UINT8,UINT8,true,2,false"})
    void qLinearConv(DType xt, DType wt, boolean perChannel, long group, boolean bias) {
        Tensor x = bytes(xt, 2, 4, 6, 7);
        Tensor w = bytes(wt, 6, 4 / group, 3, 2);
        Tensor wScale = perChannel ? floats(0.002f, 0.003f, 0.0025f, 0.004f, 0.0011f, 0.0031f) : Tensor.scalar(0.0021f);
        Tensor wZp = Tensor.allocate(wt, perChannel ? Shape.of(6) : Shape.SCALAR);
        // ONNX Runtime wants one zero point value even when it is given per channel.
        for (long i = 0; i < wZp.size(); i++) {
            wZp.setLong(i, wt == DType.UINT8 ? 121 : 0);
        }
        SingleNode o = SingleNode.node("QLinearConv", 10).attr("group", group).attrs("pads", 1L, 0L, 0L, 1L)
                .attrs("strides", 1L, 2L).input(x).input(Tensor.scalar(0.013f)).input(scalar(xt, xt == DType.UINT8 ? 130 : -5))
                .input(w).input(wScale).input(wZp).input(Tensor.scalar(0.21f)).input(scalar(xt, xt == DType.UINT8 ? 125 : 3));
        if (bias) {
            Tensor b = Tensor.allocate(DType.INT32, Shape.of(6));
            for (long i = 0; i < 6; i++) {
                b.setLong(i, rnd.nextInt(20000) - 10000);
            }
            o.input(b);
        }
        assertNull(o.outputs(1).compareWithOrt(0, 0));
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"UINT8,UINT8", "INT8,INT8", "UINT8,INT8"})
    void qLinearMatMul(DType at, DType bt) {
        Tensor a = bytes(at, 2, 5, 9);
        Tensor b = bytes(bt, 9, 4);
        assertNull(SingleNode.node("QLinearMatMul", 10).input(a).input(Tensor.scalar(0.02f))
                .input(scalar(at, at == DType.UINT8 ? 128 : 2)).input(b).input(Tensor.scalar(0.015f))
                .input(scalar(bt, bt == DType.UINT8 ? 120 : -1)).input(Tensor.scalar(0.3f))
                .input(scalar(at, at == DType.UINT8 ? 110 : 0)).outputs(1).compareWithOrt(0, 0));
    }

    @ParameterizedTest(name = "x {0}, w {1}")
    @CsvSource({"UINT8,UINT8", "UINT8,INT8"})
    void convInteger(DType xt, DType wt) {
        Tensor x = bytes(xt, 1, 3, 5, 6);
        Tensor w = bytes(wt, 4, 3, 2, 3);
        assertNull(SingleNode.node("ConvInteger", 10).attrs("pads", 0L, 1L, 1L, 1L).attrs("dilations", 2L, 1L)
                .input(x).input(w).input(scalar(xt, 100)).input(scalar(wt, wt == DType.UINT8 ? 127 : 3))
                .outputs(1).compareWithOrt(0, 0));
    }
}

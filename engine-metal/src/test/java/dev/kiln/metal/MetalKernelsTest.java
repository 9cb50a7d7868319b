package dev.kiln.metal;

import static dev.kiln.metal.KernelCases.s;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.metal.KernelCases.Case;
import dev.kiln.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every Metal kernel against the reference kernels on random data, with shapes of 1, primes and
 * sizes that leave partial tiles, SIMD groups and threadgroups, through the whole backend: FFM
 * bindings, the fake Objective-C runtime and Metal, and the kernels in the CPU emulator.
 */
class MetalKernelsTest {
    private KernelCases k;

    @BeforeEach
    void fake() {
        assumeTrue(FakeMetal.unavailableReason() == null, () -> "fake Metal unavailable: " + FakeMetal.unavailableReason());
        k = new KernelCases(FakeMetal.get(), 20261124);
    }

    private static final List<long[][]> BROADCASTS = List.of(
            new long[][] {{7}, {7}}, new long[][] {{3, 1, 5}, {4, 5}}, new long[][] {{2, 3, 4}, {1}},
            new long[][] {{1, 6, 1}, {5, 1, 3}}, new long[][] {{}, {2, 3}}, new long[][] {{2, 1, 4, 1, 5}, {3, 1, 1, 5}},
            new long[][] {{37, 129}, {129}});

    @Test
    void binaryOperatorsBroadcast() {
        for (String op : List.of("Add", "Sub", "Mul", "Div", "Max", "Min")) {
            for (long[][] shapes : BROADCASTS) {
                k.check(new Case(op, 17).in(k.floats(shapes[0])).in(k.floats(shapes[1])));
            }
        }
        k.check(new Case("Pow", 17).in(k.floats(s(3, 5), 0.1, 3)).in(k.floats(s(5), -2, 2)));
        k.check(new Case("PRelu", 17).in(k.floats(2, 3, 4, 5)).constant(k.floats(3, 1, 1)));
        k.check(new Case("Add", 17).in(k.floats(4, 33)).constant(k.floats(33)));
    }

    @Test
    void unaryOperators() {
        long[] shape = s(3, 67);
        for (String op : List.of("Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Abs", "Erf", "Softplus", "HardSwish", "Floor",
                "Ceil", "Sin", "Cos", "Reciprocal")) {
            k.check(new Case(op, 17).in(k.floats(shape)));
        }
        k.check(new Case("Log", 17).in(k.floats(shape, 0.01, 10)));
        k.check(new Case("Sqrt", 17).in(k.floats(shape, 0, 10)));
        k.check(new Case("LeakyRelu", 17).in(k.floats(shape)).f("alpha", 0.3f));
        k.check(new Case("Elu", 17).in(k.floats(shape)).f("alpha", 0.7f));
        k.check(new Case("Selu", 17).in(k.floats(shape)));
        k.check(new Case("HardSigmoid", 17).in(k.floats(shape)).f("alpha", 0.3f).f("beta", 0.4f));
        k.check(new Case("Gelu", 20).in(k.floats(shape)));
        k.check(new Case("Gelu", 20).in(k.floats(shape)).s("approximate", "tanh"));
        k.check(new Case("Clip", 13).in(k.floats(shape)).constant(Tensor.scalar(-0.5f)).constant(Tensor.scalar(0.75f)));
        k.check(new Case("Clip", 6).in(k.floats(shape)).f("min", -1f).f("max", 1f));
        k.check(new Case("Relu", 17).in(k.floats(1)));
    }

    @Test
    void matMulOnSimdgroupMatricesWithBatchesAndTails() {
        long[][][] shapes = {
            {{1, 1}, {1, 1}}, {{67, 129}, {129, 33}}, {{2, 3, 17, 9}, {2, 3, 9, 31}}, {{3, 1, 5, 8}, {4, 8, 6}},
            {{13}, {13, 7}}, {{5, 13}, {13}}, {{64, 64}, {64, 64}}, {{1, 70}, {70, 65}}, {{31, 7}, {7, 97}}};
        for (long[][] sh : shapes) {
            k.check(new Case("MatMul", 17).in(k.floats(sh[0])).in(k.floats(sh[1])));
        }
        k.check(new Case("MatMul", 17).in(k.floats(2, 19, 40)).constant(k.floats(40, 23)));
    }

    @Test
    void gemmWithTranspositionsAndBias() {
        for (int ta = 0; ta <= 1; ta++) {
            for (int tb = 0; tb <= 1; tb++) {
                long m = 37;
                long kk = 21;
                long n = 66;
                k.check(new Case("Gemm", 13).in(k.floats(ta == 1 ? s(kk, m) : s(m, kk))).in(k.floats(tb == 1 ? s(n, kk) : s(kk, n)))
                        .constant(k.floats(n)).i("transA", ta).i("transB", tb).f("alpha", 0.7f).f("beta", 1.3f));
            }
        }
        k.check(new Case("Gemm", 13).in(k.floats(5, 9)).in(k.floats(9, 3)).in(k.floats(5, 1)));
        k.check(new Case("Gemm", 13).in(k.floats(5, 9)).in(k.floats(9, 3)).constant(Tensor.scalar(0.5f)));
        k.check(new Case("Gemm", 13).in(k.floats(1, 300)).constant(k.floats(10, 300)).constant(k.floats(10)).i("transB", 1));
        k.check(new Case("Gemm", 13).in(k.floats(4, 6)).in(k.floats(6, 2)));
    }

    @Test
    void convolutions() {
        k.check(new Case("Conv", 17).in(k.floats(1, 3, 11, 13)).constant(k.floats(5, 3, 3, 3)).constant(k.floats(5))
                .ints("pads", 1, 1, 1, 1).ints("strides", 2, 2));
        k.check(new Case("Conv", 17).in(k.floats(2, 4, 9, 7)).constant(k.floats(6, 2, 3, 2)).i("group", 2)
                .ints("pads", 0, 1, 2, 0));
        k.check(new Case("Conv", 17).in(k.floats(1, 8, 10, 10)).constant(k.floats(8, 1, 3, 3)).constant(k.floats(8))
                .i("group", 8).ints("pads", 1, 1, 1, 1));
        k.check(new Case("Conv", 17).in(k.floats(1, 3, 15, 15)).constant(k.floats(4, 3, 3, 3)).ints("dilations", 2, 2));
        k.check(new Case("Conv", 17).in(k.floats(2, 5, 17)).constant(k.floats(7, 5, 4)).constant(k.floats(7))
                .ints("strides", 3).ints("pads", 2, 1));
        k.check(new Case("Conv", 17).in(k.floats(1, 3, 9, 8)).constant(k.floats(2, 3, 3, 3)).s("auto_pad", "SAME_UPPER")
                .ints("strides", 2, 2));
        k.check(new Case("Conv", 17).in(k.floats(1, 3, 9, 8)).constant(k.floats(2, 3, 2, 2)).s("auto_pad", "SAME_LOWER"));
    }

    @Test
    void softmaxOverRowsAndStridedAxes() {
        k.check(new Case("Softmax", 13).in(k.floats(s(4, 7, 300), -10, 10)));
        k.check(new Case("Softmax", 13).in(k.floats(3, 5, 6)).i("axis", 1));
        k.check(new Case("LogSoftmax", 13).in(k.floats(5, 1000)));
        k.check(new Case("LogSoftmax", 13).in(k.floats(2, 9, 4)).i("axis", 0));
        k.check(new Case("Softmax", 11).in(k.floats(2, 3, 4)).i("axis", 1));
        k.check(new Case("Softmax", 13).in(k.floats(1, 1)));
    }

    @Test
    void layerNormalization() {
        k.check(new Case("LayerNormalization", 17).in(k.floats(2, 7, 384)).constant(k.floats(384)).constant(k.floats(384))
                .f("epsilon", 1e-12f));
        k.check(new Case("LayerNormalization", 17).in(k.floats(3, 5, 6)).in(k.floats(5, 6)).absent().i("axis", 1)
                .outputs(3));
        k.check(new Case("LayerNormalization", 17).in(k.floats(4, 33)).constant(k.floats(33)).in(k.floats(33)));
        k.check(new Case("LayerNormalization", 17).in(k.floats(s(3, 7), 100, 101)).constant(k.floats(7)));
    }

    @Test
    void reductions() {
        long[] shape = s(3, 5, 7);
        for (String op : List.of("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL1",
                "ReduceL2", "ReduceLogSumExp")) {
            k.check(new Case(op, 18).in(k.floats(shape)).constant(Tensor.ofLongs(new long[] {1}, 1)));
            k.check(new Case(op, 18).in(k.floats(4, 300)).constant(Tensor.ofLongs(new long[] {1}, -1)).i("keepdims", 0));
        }
        k.check(new Case("ReduceProd", 18).in(k.floats(s(3, 40), 0.5, 1.5)).constant(Tensor.ofLongs(new long[] {1}, 1)));
        k.check(new Case("ReduceProd", 18).in(k.floats(s(3, 4, 5), 0.5, 1.5)).constant(Tensor.ofLongs(new long[] {1}, 1)));
        k.check(new Case("ReduceLogSum", 18).in(k.floats(s(6, 9), 0.1, 2)).constant(Tensor.ofLongs(new long[] {1}, 1)));
        k.check(new Case("ReduceSum", 13).in(k.floats(2, 3, 4, 5)).constant(Tensor.ofLongs(new long[] {2}, 1, 2)));
        k.check(new Case("ReduceMean", 13).in(k.floats(2, 3, 4)).ints("axes", 0, 1, 2).i("keepdims", 0));
        k.check(new Case("ReduceMax", 13).in(k.floats(2, 3, 4)));
    }

    @Test
    void attention() {
        // 4-D, keys longer than a SIMD group, values wider than one.
        k.check(new Case("Attention", 23).in(k.floats(2, 3, 5, 8)).in(k.floats(2, 3, 37, 8)).in(k.floats(2, 3, 37, 40)));
        // Grouped heads, causal, a scale.
        k.check(new Case("Attention", 23).in(k.floats(1, 4, 7, 16)).in(k.floats(1, 2, 7, 16)).in(k.floats(1, 2, 7, 16))
                .i("is_causal", 1).f("scale", 0.3f));
        // Packed 3-D with an additive mask broadcast over batch and heads, and a soft cap.
        k.check(new Case("Attention", 23).in(k.floats(2, 6, 12)).in(k.floats(2, 33, 12)).in(k.floats(2, 33, 6))
                .in(k.floats(s(6, 33), -3, 0)).i("q_num_heads", 3).i("kv_num_heads", 3).f("softcap", 2f));
        k.check(new Case("Attention", 23).in(k.floats(1, 1, 1, 3)).in(k.floats(1, 1, 1, 3)).in(k.floats(1, 1, 1, 3)));
    }

    @Test
    void reshapesAreViewsOfDeviceMemory() {
        k.check(new Case("Reshape", 14).in(k.floats(2, 3, 4)).constant(Tensor.ofLongs(new long[] {2}, 6, 4)));
        k.check(new Case("Flatten", 13).in(k.floats(2, 3, 4)).i("axis", 2));
    }
}

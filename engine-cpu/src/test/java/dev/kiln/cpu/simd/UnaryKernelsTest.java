package dev.kiln.cpu.simd;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Activations and math functions against the reference kernels, over wide input ranges. */
class UnaryKernelsTest {
    private final Random rnd = new Random(11);

    private static final long[][] SHAPES = {{1}, {3}, {15}, {17}, {2, 31}, {7, 11, 13}, {40000}};

    private void check(String op, float lo, float hi, double rtol, double atol, Object... attrs) {
        for (long[] s : SHAPES) {
            OneNode n = OneNode.of(op).input(OneNode.random(rnd, lo, hi, s));
            for (int i = 0; i < attrs.length; i += 2) {
                if (attrs[i + 1] instanceof Float f) {
                    n.attr((String) attrs[i], f);
                } else {
                    n.attr((String) attrs[i], (String) attrs[i + 1]);
                }
            }
            n.matchesReference(rtol, atol);
        }
    }

    @Test
    void activationsMatchReference() {
        check("Relu", -5, 5, 0, 0);
        check("LeakyRelu", -5, 5, 1e-6, 0, "alpha", 0.1f);
        check("Sigmoid", -30, 30, 1e-6, 1e-7);
        check("Tanh", -10, 10, 1e-6, 1e-7);
        check("Tanh", -0.01f, 0.01f, 1e-6, 1e-9);
        check("HardSigmoid", -5, 5, 1e-6, 1e-7, "alpha", 0.3f, "beta", 0.4f);
        check("HardSwish", -5, 5, 1e-6, 1e-7);
        OneNode.of("Gelu").opset(20).input(OneNode.random(rnd, -6f, 6f, 3, 37)).matchesReference(1e-6, 1e-7);
    }

    @Test
    void mathFunctionsMatchReference() {
        check("Exp", -80, 80, 1e-6, 0);
        check("Exp", -1, 1, 1e-6, 0);
        check("Erf", -5, 5, 1e-6, 1e-7);
        check("Erf", -0.001f, 0.001f, 1e-6, 1e-12);
        check("Sqrt", 0, 100, 1e-7, 0);
        check("Abs", -3, 3, 0, 0);
        check("Neg", -3, 3, 0, 0);
        check("Reciprocal", 0.1f, 10, 1e-7, 0);
    }

    @Test
    void exponentialOverflowsAndUnderflowsLikeTheReference() {
        Tensor x = Tensor.ofFloats(new long[] {6}, 89f, 100f, -104f, -150f, Float.NaN, Float.POSITIVE_INFINITY);
        OneNode.of("Exp").input(x).matchesReference(0, 1e-38);
    }

    @Test
    void clipWithAttributesAndConstantBounds() {
        OneNode.of("Clip").opset(6).attr("min", -0.5f).attr("max", 0.25f).input(OneNode.random(rnd, 3, 19))
                .matchesReference(0, 0);
        OneNode.of("Clip").opset(13).input(OneNode.random(rnd, 3, 19)).constant(Tensor.scalar(0f))
                .constant(Tensor.scalar(6f)).matchesReference(0, 0);
        OneNode.of("Clip").opset(13).input(OneNode.random(rnd, 33)).absent().constant(Tensor.scalar(0.1f))
                .matchesReference(0, 0);
        OneNode.of("Clip").opset(13).input(Tensor.ofFloats(new long[] {3}, Float.NaN, -9f, 9f))
                .constant(Tensor.scalar(-1f)).constant(Tensor.scalar(1f)).matchesReference(0, 0);
    }
}

package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Broadcasting elementwise operators against the reference kernels. */
class BinaryKernelsTest {
    private final Random rnd = new Random(7);

    /** Pairs of shapes that broadcast: equal, scalar, row, column, inner and outer broadcasts. */
    private static final long[][][] PAIRS = {
        {{1}, {1}},
        {{5}, {5}},
        {{3}, {}},
        {{}, {13}},
        {{7, 13}, {13}},
        {{7, 13}, {7, 1}},
        {{2, 3, 37}, {3, 1}},
        {{1, 31}, {17, 1}},
        {{4, 1, 6}, {1, 5, 1}},
        {{2, 12, 33, 33}, {2, 1, 1, 33}},
        {{97, 101}, {97, 101}},
        {{70000}, {1}},
        {{3, 50000}, {3, 1}},
    };

    @Test
    void arithmeticMatchesReference() {
        for (String op : new String[] {"Add", "Sub", "Mul", "Div", "PRelu"}) {
            for (long[][] p : PAIRS) {
                // PRelu's slope broadcasts one way only, to X's shape.
                if (op.equals("PRelu") && !dev.kiln.ops.Shapes.broadcast(dev.kiln.tensor.Shape.of(p[0]),
                        dev.kiln.tensor.Shape.of(p[1])).equals(dev.kiln.tensor.Shape.of(p[0]))) {
                    continue;
                }
                Tensor b = op.equals("Div") ? OneNode.random(rnd, 0.5f, 2f, p[1]) : OneNode.random(rnd, p[1]);
                OneNode.of(op).input(OneNode.random(rnd, p[0])).input(b).matchesReference(1e-6, 1e-7);
                OneNode.of(op).input(OneNode.random(rnd, p[0])).constant(b).matchesReference(1e-6, 1e-7);
            }
        }
    }

    @Test
    void variadicOperatorsMatchReference() {
        for (String op : new String[] {"Sum", "Mean", "Max", "Min"}) {
            OneNode.of(op).input(OneNode.random(rnd, 3, 17)).matchesReference(1e-6, 1e-7);
            OneNode.of(op).input(OneNode.random(rnd, 3, 17)).input(OneNode.random(rnd, 17)).matchesReference(1e-6, 1e-7);
            OneNode.of(op).input(OneNode.random(rnd, 2, 1, 5)).input(OneNode.random(rnd, 3, 1))
                    .input(OneNode.random(rnd, 2, 3, 5)).input(OneNode.random(rnd, 1)).matchesReference(1e-6, 1e-7);
        }
    }

    @Test
    void maxAndMinPropagateNaN() {
        Tensor a = Tensor.ofFloats(new long[] {19}, new float[] {Float.NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
            14, 15, 16, 17, Float.NaN});
        Tensor b = OneNode.random(rnd, 19);
        OneNode.of("Max").input(a).input(b).matchesReference(0, 0);
        OneNode.of("Min").input(b).input(a).matchesReference(0, 0);
    }

    @Test
    void powWithSmallConstantExponents() {
        for (float e : new float[] {2f, 3f, 0.5f}) {
            OneNode.of("Pow").input(OneNode.random(rnd, 0f, 3f, 3, 37)).constant(Tensor.scalar(e)).matchesReference(1e-6, 1e-7);
            OneNode.of("Pow").input(OneNode.random(rnd, 0f, 3f, 5)).constant(Tensor.ofFloats(new long[] {1}, e))
                    .matchesReference(1e-6, 1e-7);
        }
        assertFalse(OneNode.of("Pow").input(OneNode.random(rnd, 4)).constant(Tensor.scalar(1.7f)).bindsFast(),
                "a general exponent is left to the reference kernel");
    }
}

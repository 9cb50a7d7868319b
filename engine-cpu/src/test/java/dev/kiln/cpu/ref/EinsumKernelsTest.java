package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EinsumKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    private static Tensor einsum(String eq, Tensor... xs) {
        return NodeRunner.op("Einsum").attr("equation", eq).run1(xs);
    }

    private static Tensor random(SplittableRandom r, long... shape) {
        float[] v = new float[(int) Shape.of(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextDouble(-1, 1);
        }
        return Tensor.ofFloats(shape, v);
    }

    @Test
    void explicitAndImplicitMatMulAgreeWithADirectProduct() {
        SplittableRandom r = new SplittableRandom(7);
        for (int[] mnk : new int[][] {{1, 1, 1}, {3, 5, 7}, {2, 13, 1}}) {
            Tensor a = random(r, mnk[0], mnk[2]);
            Tensor b = random(r, mnk[2], mnk[1]);
            float[] expect = new float[mnk[0] * mnk[1]];
            for (int i = 0; i < mnk[0]; i++) {
                for (int j = 0; j < mnk[1]; j++) {
                    double acc = 0;
                    for (int p = 0; p < mnk[2]; p++) {
                        acc += a.getFloat(i * mnk[2] + p) * b.getFloat(p * mnk[1] + j);
                    }
                    expect[i * mnk[1] + j] = (float) acc;
                }
            }
            assertArrayEquals(expect, einsum("ij,jk->ik", a, b).toFloatArray(), 1e-6f);
            assertArrayEquals(expect, einsum("ij, jk", a, b).toFloatArray(), 1e-6f);
            // Implicit output orders labels alphabetically: "ba,ac" gives [b, c] = a's rows x b's columns.
            assertArrayEquals(expect, einsum("ba,ac", a, b).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void traceDiagonalAndOuterProduct() {
        Tensor m = Tensor.ofLongs(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertArrayEquals(new long[] {15}, einsum("ii", m).toLongArray());
        assertEquals(Shape.SCALAR, einsum("ii->", m).shape());
        assertArrayEquals(new long[] {1, 5, 9}, einsum("ii->i", m).toLongArray());
        assertArrayEquals(new long[] {1, 4, 7, 2, 5, 8, 3, 6, 9}, einsum("ij->ji", m).toLongArray());
        Tensor u = Tensor.ofInts(s(2), 2, 3);
        Tensor v = Tensor.ofInts(s(3), 1, 10, 100);
        assertArrayEquals(new long[] {2, 20, 200, 3, 30, 300}, einsum("i,j", u, v).toLongArray());
    }

    @Test
    void ellipsisBroadcastsAcrossDifferentRanks() {
        // a: [2, 1, 2, 2] with "...ij", b: [3, 2, 2] with "...jk": batch dims [2, 1] and [3] give [2, 3].
        SplittableRandom r = new SplittableRandom(3);
        Tensor a = random(r, 2, 1, 2, 2);
        Tensor b = random(r, 3, 2, 2);
        Tensor y = einsum("...ij,...jk->...ik", a, b);
        assertEquals(Shape.of(2, 3, 2, 2), y.shape());
        for (int p = 0; p < 2; p++) {
            for (int q = 0; q < 3; q++) {
                for (int i = 0; i < 2; i++) {
                    for (int k = 0; k < 2; k++) {
                        double acc = 0;
                        for (int j = 0; j < 2; j++) {
                            acc += a.getFloat(p * 4 + i * 2 + j) * b.getFloat(q * 4 + j * 2 + k);
                        }
                        assertEquals(acc, y.getFloat(((p * 3 + q) * 2 + i) * 2 + k), 1e-6);
                    }
                }
            }
        }
        // Implicit mode puts the ellipsis first, then the labels used once: "...ik".
        assertArrayEquals(y.toFloatArray(), einsum("...ij,...jk", a, b).toFloatArray());
    }

    @Test
    void independentOperandsAreSummedSeparately() {
        // Summing each operand on its own keeps this linear; one loop over all four labels
        // would take 300^4 steps.
        float[] v = new float[300];
        java.util.Arrays.fill(v, 0.5f);
        Tensor x = Tensor.ofFloats(s(300), v);
        Tensor y = einsum("i,j,k,l->", x, x, x, x);
        assertEquals((float) (150.0 * 150 * 150 * 150), y.getFloat(0));
        Tensor ints = Tensor.ofInts(s(3, 2), 1, 2, 3, 4, 5, 6);
        // Chain of three matrices: [1 x 3] * [3 x 2] * [2 x 1].
        Tensor chain = einsum("ab,bc,cd->ad", Tensor.ofInts(s(1, 3), 1, 1, 1), ints, Tensor.ofInts(s(2, 1), 1, -1));
        assertArrayEquals(new long[] {(1 + 3 + 5) - (2 + 4 + 6)}, chain.toLongArray());
    }

    @Test
    void threeOperandsAndErrors() {
        Tensor a = Tensor.ofFloats(s(2), 1, 2);
        Tensor b = Tensor.ofFloats(s(2, 2), 1, 2, 3, 4);
        Tensor c = Tensor.ofFloats(s(2), 5, 6);
        // sum_ij a_i b_ij c_j = 1*(1*5+2*6) + 2*(3*5+4*6) = 17 + 78.
        assertArrayEquals(new float[] {95}, einsum("i,ij,j->", a, b, c).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> einsum("ij,jk->ik", b, Tensor.ofFloats(s(3, 1), 1, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> einsum("i,i->ii", a, a));
        assertThrows(IllegalArgumentException.class, () -> einsum("i->j", a));
        assertThrows(IllegalArgumentException.class, () -> einsum("i..j", a));
    }
}

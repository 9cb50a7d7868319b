package dev.kiln.cpu.simd;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Sgemm-based MatMul and Gemm kernels against the reference kernels. */
class MatMulKernelsTest {
    private final Random rnd = new Random(42);

    /** Sizes around the tile edges: 1, primes, a partial vector, a partial tile, several blocks. */
    private static final int[] SIZES = {1, 2, 5, 7, 13, 17, 31, 33, 67, 97};

    private static double tolerance(int k) {
        return 2e-6 * k + 1e-5;
    }

    @Test
    void matMulWithConstantWeightsMatchesReference() {
        for (int m : SIZES) {
            for (int k : new int[] {1, 3, 19, 64, 300}) {
                for (int n : new int[] {1, 7, 16, 33, 100}) {
                    OneNode.of("MatMul").input(OneNode.random(rnd, m, k)).constant(OneNode.random(rnd, k, n))
                            .matchesReference(1e-5, tolerance(k));
                }
            }
        }
    }

    @Test
    void matMulLargeAndDeepProductsMatchReference() {
        // Deeper than one KC block, more rows than one MC block, more columns than one NC block.
        OneNode.of("MatMul").input(OneNode.random(rnd, 131, 601)).constant(OneNode.random(rnd, 601, 1100))
                .matchesReference(1e-5, tolerance(601));
        OneNode.of("MatMul").input(OneNode.random(rnd, 200, 515)).input(OneNode.random(rnd, 515, 70))
                .matchesReference(1e-5, tolerance(515));
    }

    @Test
    void batchedMatMulBroadcastsAndPromotesVectors() {
        OneNode.of("MatMul").input(OneNode.random(rnd, 2, 3, 13, 17)).input(OneNode.random(rnd, 3, 17, 11))
                .matchesReference(1e-5, tolerance(17));
        OneNode.of("MatMul").input(OneNode.random(rnd, 1, 4, 7, 5)).input(OneNode.random(rnd, 3, 1, 5, 9))
                .matchesReference(1e-5, tolerance(5));
        OneNode.of("MatMul").input(OneNode.random(rnd, 37)).input(OneNode.random(rnd, 2, 37, 3))
                .matchesReference(1e-5, tolerance(37));
        OneNode.of("MatMul").input(OneNode.random(rnd, 2, 5, 37)).input(OneNode.random(rnd, 37))
                .matchesReference(1e-5, tolerance(37));
        OneNode.of("MatMul").input(OneNode.random(rnd, 3, 6, 40)).constant(OneNode.random(rnd, 40, 29))
                .matchesReference(1e-5, tolerance(40));
        OneNode.of("MatMul").input(OneNode.random(rnd, 12, 128, 64)).input(OneNode.random(rnd, 12, 64, 128))
                .matchesReference(1e-5, tolerance(64));
    }

    @Test
    void gemmTransposesScalesAndAddsBias() {
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                for (int[] mkn : new int[][] {{1, 2048, 1000}, {7, 31, 17}, {33, 5, 64}, {2, 1, 3}}) {
                    int m = mkn[0];
                    int k = mkn[1];
                    int n = mkn[2];
                    var a = ta == 1 ? OneNode.random(rnd, k, m) : OneNode.random(rnd, m, k);
                    var b = tb == 1 ? OneNode.random(rnd, n, k) : OneNode.random(rnd, k, n);
                    OneNode.of("Gemm").attr("transA", (long) ta).attr("transB", (long) tb)
                            .input(a).constant(b).constant(OneNode.random(rnd, n))
                            .matchesReference(1e-5, tolerance(k));
                    OneNode.of("Gemm").attr("transA", (long) ta).attr("transB", (long) tb)
                            .attr("alpha", 0.5f).attr("beta", 2f)
                            .input(a).constant(b).input(OneNode.random(rnd, m, n))
                            .matchesReference(1e-5, tolerance(k));
                    OneNode.of("Gemm").attr("transA", (long) ta).attr("transB", (long) tb)
                            .input(a).input(b).input(OneNode.random(rnd, m, 1))
                            .matchesReference(1e-5, tolerance(k));
                    OneNode.of("Gemm").attr("transA", (long) ta).attr("transB", (long) tb).attr("beta", 0.25f)
                            .input(a).input(b).constant(OneNode.random(rnd, 1))
                            .matchesReference(1e-5, tolerance(k));
                    OneNode.of("Gemm").attr("transA", (long) ta).attr("transB", (long) tb)
                            .input(a).constant(b)
                            .matchesReference(1e-5, tolerance(k));
                }
            }
        }
    }
}

package dev.kiln.cpu.simd;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** BatchNormalization and LayerNormalization against the reference kernels. */
class NormalizationKernelsTest {
    private final Random rnd = new Random(9);

    @Test
    void batchNormMatchesReference() {
        long[][] shapes = {{1, 1}, {2, 3}, {1, 5, 7, 7}, {3, 17, 1, 33}, {1, 64, 56, 56}};
        for (long[] s : shapes) {
            long c = s[1];
            OneNode.of("BatchNormalization").input(OneNode.random(rnd, s)).constant(OneNode.random(rnd, c))
                    .constant(OneNode.random(rnd, c)).constant(OneNode.random(rnd, c))
                    .constant(OneNode.random(rnd, 0.5f, 2f, c)).matchesReference(1e-5, 1e-6);
            OneNode.of("BatchNormalization").attr("epsilon", 0.01f).input(OneNode.random(rnd, s))
                    .input(OneNode.random(rnd, c)).input(OneNode.random(rnd, c)).input(OneNode.random(rnd, c))
                    .input(OneNode.random(rnd, 0.5f, 2f, c)).matchesReference(1e-5, 1e-6);
        }
    }

    @Test
    void layerNormMatchesReference() {
        long[][] shapes = {{1, 1}, {3, 5}, {2, 7, 17}, {1, 128, 384}, {4, 3, 33}};
        for (long[] s : shapes) {
            long last = s[s.length - 1];
            OneNode.of("LayerNormalization").input(OneNode.random(rnd, -3, 5, s)).constant(OneNode.random(rnd, last))
                    .constant(OneNode.random(rnd, last)).matchesReference(1e-4, 1e-5);
            OneNode.of("LayerNormalization").input(OneNode.random(rnd, s)).input(OneNode.random(rnd, last))
                    .matchesReference(1e-4, 1e-5);
            if (s.length == 3) {
                OneNode.of("LayerNormalization").attr("axis", 1L).attr("epsilon", 1e-3f).input(OneNode.random(rnd, s))
                        .constant(OneNode.random(rnd, s[1], s[2])).constant(OneNode.random(rnd, s[1], s[2]))
                        .matchesReference(1e-4, 1e-5);
                // A scale that broadcasts from a smaller shape runs on the reference path.
                OneNode.of("LayerNormalization").attr("axis", 1L).input(OneNode.random(rnd, s))
                        .constant(OneNode.random(rnd, s[2])).matchesReference(1e-4, 1e-5);
            }
        }
    }

    @Test
    void lrnMatchesReference() {
        long[][] shapes = {{1, 1, 1, 1}, {1, 7, 5, 5}, {2, 16, 9, 13}, {1, 64, 17, 17}};
        for (long[] s : shapes) {
            for (long size : new long[] {1, 3, 5}) {
                OneNode.of("LRN").attr("size", size).attr("alpha", 1e-3f).attr("beta", 0.75f).attr("bias", 1.5f)
                        .input(OneNode.random(rnd, -3f, 3f, s)).matchesReference(1e-5, 1e-6);
            }
        }
    }
}

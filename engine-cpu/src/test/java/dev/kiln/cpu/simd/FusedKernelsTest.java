package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The kiln fused operators on the Vector API kernels against their reference kernels. */
class FusedKernelsTest {
    private final Random rnd = new Random(29);

    private static final String[][] ACTIVATIONS = {{""}, {"Relu"}, {"LeakyRelu", "0.1"}, {"Clip", "-0.5", "0.75"},
        {"Sigmoid"}, {"HardSigmoid", "0.3", "0.4"}, {"HardSwish"}, {"SiLU"}, {"Gelu"}, {"Tanh"}};

    private static OneNode activation(OneNode n, String[] a) {
        if (!a[0].isEmpty()) {
            n.attr("activation", a[0]);
        }
        if (a.length > 1) {
            n.attr("activation_alpha", Float.parseFloat(a[1]));
        }
        if (a.length > 2) {
            n.attr("activation_beta", Float.parseFloat(a[2]));
        }
        return n;
    }

    @Test
    void fusedConvWithResidualAndEveryActivation() {
        // The last two take the padded-im2col path (a wide image) and the Winograd path (64 channels, 12 x 12).
        int[][] cases = {{1, 3, 7, 5, 4, 3, 1}, {2, 8, 9, 9, 16, 1, 1}, {1, 6, 11, 10, 6, 3, 6}, {1, 4, 8, 8, 8, 3, 2},
            {1, 4, 5, 40, 8, 3, 1}, {1, 64, 12, 12, 64, 3, 1}};
        for (int[] c : cases) {
            for (String[] act : ACTIVATIONS) {
                for (boolean residual : new boolean[] {false, true}) {
                    int n = c[0];
                    int ch = c[1];
                    int h = c[2];
                    int w = c[3];
                    int m = c[4];
                    int k = c[5];
                    int group = c[6];
                    OneNode node = activation(OneNode.kiln("FusedConv"), act).attr("group", (long) group)
                            .attr("pads", (long) (k / 2), k / 2, k / 2, k / 2)
                            .input(OneNode.random(rnd, n, ch, h, w)).constant(OneNode.random(rnd, m, ch / group, k, k))
                            .constant(OneNode.random(rnd, m));
                    if (residual) {
                        node.input(OneNode.random(rnd, n, m, h, w));
                    }
                    node.matchesReference(1e-4, 2e-5 * ch * k * k + 1e-5);
                }
            }
        }
    }

    @Test
    void fusedMatMulLinearAndGeneral() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 13, 33}, {64, 31, 9}, {5, 384, 96}};
        for (int[] s : shapes) {
            for (String[] act : ACTIVATIONS) {
                activation(OneNode.kiln("FusedMatMul"), act).input(OneNode.random(rnd, 2, s[0], s[1]))
                        .constant(OneNode.random(rnd, s[1], s[2])).constant(OneNode.random(rnd, s[2]))
                        .matchesReference(1e-4, 2e-6 * s[1] + 1e-5);
            }
            // Weights computed at run time: the unfused product and a finishing pass.
            activation(OneNode.kiln("FusedMatMul"), new String[] {"Relu"}).input(OneNode.random(rnd, s[0], s[1]))
                    .input(OneNode.random(rnd, s[1], s[2])).input(OneNode.random(rnd, s[2]))
                    .matchesReference(1e-4, 2e-6 * s[1] + 1e-5);
        }
    }

    @Test
    void fusedGemmAppliesItsActivation() {
        for (String[] act : ACTIVATIONS) {
            activation(OneNode.kiln("FusedGemm"), act).attr("transB", 1L).input(OneNode.random(rnd, 7, 19))
                    .constant(OneNode.random(rnd, 11, 19)).constant(OneNode.random(rnd, 11))
                    .matchesReference(1e-4, 1e-4);
        }
    }

    @Test
    void layerNormAndSkipLayerNorm() {
        for (int[] s : new int[][] {{1, 1, 1}, {2, 7, 384}, {3, 5, 37}}) {
            Tensor scale = OneNode.random(rnd, s[2]);
            Tensor bias = OneNode.random(rnd, s[2]);
            OneNode.kiln("LayerNormalization").attr("epsilon", 1e-5f).input(OneNode.random(rnd, s[0], s[1], s[2]))
                    .constant(scale).constant(bias).matchesReference(1e-4, 1e-4);
            for (int outputs = 1; outputs <= 2; outputs++) {
                OneNode.kiln("SkipLayerNormalization").attr("epsilon", 1e-5f).outputs(outputs)
                        .input(OneNode.random(rnd, s[0], s[1], s[2])).input(OneNode.random(rnd, s[0], s[1], s[2]))
                        .constant(scale).constant(bias).matchesReference(1e-4, 1e-4);
            }
            // A broadcast skip takes the reference path inside the fast kernel.
            OneNode.kiln("SkipLayerNormalization").input(OneNode.random(rnd, s[0], s[1], s[2]))
                    .input(OneNode.random(rnd, 1, s[1], s[2])).constant(scale).matchesReference(1e-4, 1e-4);
        }
    }

    @Test
    void geluAndItsTanhFormGoToTheReference() {
        OneNode.kiln("Gelu").input(OneNode.random(rnd, 3, 67)).matchesReference(1e-5, 1e-6);
        assertFalse(OneNode.kiln("Gelu").attr("approximate", "tanh").input(OneNode.random(rnd, 3, 5)).bindsFast());
    }

    @Test
    void attentionAcrossKeyBlocksWithAMask() {
        // 600 keys are two blocks: the running maxima, sums and outputs are rescaled.
        int[][] cases = {{1, 1, 1, 1}, {1, 7, 2, 4}, {2, 70, 3, 8}, {1, 131, 12, 32}, {1, 600, 2, 5}};
        for (int[] c : cases) {
            int b = c[0];
            int s = c[1];
            int h = c[2];
            int d = c[3];
            Tensor mask = OneNode.random(rnd, b, 1, 1, s);
            for (long i = 0; i < mask.size(); i++) {
                mask.setFloat(i, i % 5 == 4 ? -3.4028234663852886e38f : 0);
            }
            OneNode.kiln("Attention").attr("num_heads", (long) h).attr("scale", (float) (1 / Math.sqrt(d)))
                    .input(OneNode.random(rnd, b, s, h * d)).input(OneNode.random(rnd, b, s, h * d))
                    .input(OneNode.random(rnd, b, s, h * d)).input(mask).matchesReference(1e-4, 1e-5);
        }
    }
}

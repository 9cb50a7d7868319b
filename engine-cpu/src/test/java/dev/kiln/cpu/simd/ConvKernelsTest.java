package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Conv (pointwise, image-to-column, grouped, depthwise) against the reference kernel. */
class ConvKernelsTest {
    private final Random rnd = new Random(17);

    /** Runs one convolution: input n x c x h x w, m filters of kh x kw over c / group channels. */
    private void conv(int n, int c, int h, int w, int m, int kh, int kw, int group, boolean bias, Object... attrs) {
        OneNode node = OneNode.of("Conv").attr("group", (long) group);
        for (int i = 0; i < attrs.length; i += 2) {
            if (attrs[i + 1] instanceof long[] v) {
                node.attr((String) attrs[i], v);
            } else {
                node.attr((String) attrs[i], (String) attrs[i + 1]);
            }
        }
        node.input(OneNode.random(rnd, n, c, h, w)).constant(OneNode.random(rnd, m, c / group, kh, kw));
        if (bias) {
            node.constant(OneNode.random(rnd, m));
        }
        double depth = (double) c / group * kh * kw;
        node.matchesReference(1e-5, 2e-6 * depth + 1e-5);
    }

    @Test
    void pointwiseConvolutions() {
        conv(1, 1, 1, 1, 1, 1, 1, 1, false);
        conv(1, 3, 5, 7, 17, 1, 1, 1, true);
        conv(2, 64, 13, 13, 40, 1, 1, 1, true);
        conv(1, 256, 7, 7, 67, 1, 1, 1, false);
        conv(1, 19, 1, 31, 5, 1, 1, 1, true);
    }

    @Test
    void windowedConvolutions() {
        conv(1, 3, 17, 17, 16, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(2, 5, 11, 9, 7, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2});
        conv(1, 3, 37, 37, 13, 7, 7, 1, true, "pads", new long[] {3, 3, 3, 3}, "strides", new long[] {2, 2});
        conv(1, 8, 15, 15, 9, 3, 3, 1, false, "dilations", new long[] {2, 2}, "pads", new long[] {2, 2, 2, 2});
        conv(1, 6, 10, 12, 5, 3, 2, 1, true, "pads", new long[] {0, 1, 2, 1});
        conv(1, 12, 9, 9, 11, 1, 3, 1, true, "pads", new long[] {0, 1, 0, 1});
        conv(1, 12, 9, 9, 11, 3, 1, 1, true, "pads", new long[] {1, 0, 1, 0});
        conv(1, 16, 14, 14, 33, 1, 1, 1, true, "strides", new long[] {2, 2});
        conv(1, 4, 10, 13, 6, 3, 3, 1, true, "auto_pad", "SAME_UPPER", "strides", new long[] {2, 3});
        conv(1, 4, 10, 13, 6, 4, 4, 1, true, "auto_pad", "SAME_LOWER", "strides", new long[] {2, 2});
        conv(1, 4, 10, 13, 6, 3, 3, 1, false, "auto_pad", "VALID");
        conv(1, 64, 28, 28, 64, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
    }

    /**
     * Images wide enough for panels copied from the padded, phase-split input (the narrow ones
     * above pack column by column): strides, dilations, uneven pads, groups, batches.
     */
    @Test
    void wideWindowedConvolutions() {
        conv(1, 7, 40, 45, 13, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(2, 5, 41, 43, 7, 3, 3, 1, false, "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2});
        conv(1, 3, 67, 71, 16, 7, 7, 1, true, "pads", new long[] {3, 3, 3, 3}, "strides", new long[] {2, 2});
        conv(1, 6, 37, 50, 9, 3, 3, 1, true, "dilations", new long[] {2, 3}, "pads", new long[] {2, 3, 1, 0});
        conv(1, 16, 56, 56, 31, 1, 1, 1, true, "strides", new long[] {2, 2});
        conv(1, 9, 33, 64, 5, 5, 3, 1, true, "strides", new long[] {3, 2}, "pads", new long[] {0, 2, 1, 1});
        conv(2, 12, 30, 47, 6, 3, 3, 3, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 24, 160, 160, 24, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 4, 48, 48, 6, 2, 2, 1, true, "auto_pad", "SAME_UPPER", "strides", new long[] {2, 2});
    }

    /**
     * 3x3 stride-1 convolutions with enough channels and pixels for Winograd F(2x2, 3x3): odd
     * and even output sizes (a half tile at the edge), outputs one pixel high or wide,
     * asymmetric and missing pads, batches, and images tall enough to be split into several
     * tile blocks.
     */
    @Test
    void winogradConvolutions() {
        conv(1, 64, 12, 12, 64, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(2, 67, 13, 13, 71, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 64, 16, 17, 80, 3, 3, 1, false);
        conv(1, 64, 1, 150, 64, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 64, 150, 1, 64, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 70, 29, 37, 64, 3, 3, 1, true, "pads", new long[] {0, 2, 2, 0});
        conv(1, 64, 12, 13, 64, 3, 3, 1, true, "auto_pad", "SAME_UPPER");
        conv(1, 64, 37, 112, 64, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 256, 14, 14, 67, 3, 3, 1, true, "pads", new long[] {1, 1, 1, 1});
    }

    /**
     * Random shapes (sizes from 1, primes, widths below a vector) with random strides,
     * dilations, pads and groups: whichever path each one takes must match the reference.
     */
    @Test
    void randomConvolutions() {
        int[] sizes = {1, 2, 3, 5, 7, 11, 13, 17, 31, 37, 53, 64};
        for (int i = 0; i < 60; i++) {
            int group = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 1;
            int c = group * (1 + rnd.nextInt(6));
            int m = group * (1 + rnd.nextInt(9));
            int kh = 1 + rnd.nextInt(4);
            int kw = 1 + rnd.nextInt(4);
            long sh = 1 + rnd.nextInt(3);
            long sw = 1 + rnd.nextInt(3);
            long dh = 1 + rnd.nextInt(2);
            long dw = 1 + rnd.nextInt(2);
            long[] pads = {rnd.nextInt(kh), rnd.nextInt(kw), rnd.nextInt(kh), rnd.nextInt(kw)};
            int h = Math.max(sizes[rnd.nextInt(sizes.length)], (int) ((kh - 1) * dh + 1));
            int w = Math.max(sizes[rnd.nextInt(sizes.length)], (int) ((kw - 1) * dw + 1));
            conv(1 + rnd.nextInt(2), c, h, w, m, kh, kw, group, rnd.nextBoolean(), "strides", new long[] {sh, sw},
                    "dilations", new long[] {dh, dw}, "pads", pads);
        }
    }

    @Test
    void groupedAndDepthwiseConvolutions() {
        conv(1, 12, 9, 9, 6, 1, 1, 3, true);
        conv(2, 12, 9, 9, 6, 3, 3, 3, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 8, 5, 5, 16, 3, 3, 8, true, "pads", new long[] {1, 1, 1, 1});
        conv(2, 7, 19, 23, 7, 3, 3, 7, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 16, 21, 21, 16, 3, 3, 16, false, "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2});
        conv(1, 5, 12, 40, 5, 5, 5, 5, true, "pads", new long[] {2, 2, 2, 2});
        conv(1, 3, 1, 1, 3, 3, 3, 3, true, "pads", new long[] {1, 1, 1, 1});
        conv(1, 4, 9, 9, 4, 3, 3, 4, true, "dilations", new long[] {2, 2}, "pads", new long[] {2, 2, 2, 2});
        conv(1, 6, 17, 23, 6, 3, 3, 6, true, "pads", new long[] {0, 1, 2, 1}, "strides", new long[] {2, 2});
        conv(2, 5, 9, 30, 5, 5, 5, 5, true, "pads", new long[] {2, 3, 2, 1}, "strides", new long[] {3, 2});
        conv(1, 7, 31, 37, 7, 3, 3, 7, false, "pads", new long[] {1, 1, 1, 1}, "strides", new long[] {1, 3});
    }

    @Test
    void nonConstantWeightsAreLeftToTheReference() {
        assertFalse(OneNode.of("Conv").input(OneNode.random(rnd, 1, 2, 4, 4)).input(OneNode.random(rnd, 3, 2, 1, 1))
                .bindsFast());
    }

    @Test
    void convTransposeMatchesReference() {
        long[][][] cases = {
            // {x shape}, {w shape}, {strides}, {pads}
            {{1, 3, 5, 5}, {3, 4, 2, 2}, {2, 2}, {0, 0, 0, 0}},
            {{2, 6, 7, 9}, {6, 5, 3, 3}, {2, 2}, {1, 1, 1, 1}},
            {{1, 4, 6, 6}, {4, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}},
            {{1, 17, 11, 13}, {17, 1, 2, 2}, {2, 2}, {0, 0, 0, 0}},
            {{1, 2, 1, 1}, {2, 3, 3, 3}, {3, 3}, {0, 1, 1, 0}},
        };
        for (long[][] c : cases) {
            OneNode.of("ConvTranspose").attr("strides", c[2]).attr("pads", c[3]).input(OneNode.random(rnd, c[0]))
                    .constant(OneNode.random(rnd, c[1])).constant(OneNode.random(rnd, c[1][1]))
                    .matchesReference(1e-5, 1e-5);
        }
        OneNode.of("ConvTranspose").attr("strides", new long[] {2, 2}).attr("output_padding", new long[] {1, 1})
                .input(OneNode.random(rnd, 1, 3, 4, 4)).constant(OneNode.random(rnd, 3, 2, 3, 3))
                .matchesReference(1e-5, 1e-5);
        OneNode.of("ConvTranspose").attr("strides", new long[] {2, 2}).attr("output_shape", new long[] {10, 8})
                .input(OneNode.random(rnd, 1, 3, 4, 4)).constant(OneNode.random(rnd, 3, 2, 3, 3))
                .matchesReference(1e-5, 1e-5);
    }
}

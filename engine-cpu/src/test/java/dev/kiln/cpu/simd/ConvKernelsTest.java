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

package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.FusionCheck.i;
import static dev.kiln.cpu.ref.FusionCheck.ints;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** kiln.Attention (streaming softmax) against the MatMul-Scale-Mask-Softmax-MatMul spelling. */
class AttentionKernelsTest {

    /** batch, sequence, heads, head size: sequences below, at and above the key block (64). */
    private static final long[][] CASES = {{1, 1, 1, 1}, {1, 7, 2, 4}, {2, 5, 3, 8}, {1, 64, 2, 16}, {1, 70, 4, 8},
        {2, 131, 3, 5}};

    private static FusionCheck attention(long seed, long[] c, boolean mask, boolean masked) {
        long b = c[0];
        long s = c[1];
        long h = c[2];
        long d = c[3];
        FusionCheck k = new FusionCheck(seed, 11).input("q", 2, b, s, h * d).input("k", 2, b, s, h * d)
                .input("v", 2, b, s, h * d)
                .constant("split", Tensor.ofLongs(new long[] {4}, 0, 0, h, d))
                .constant("merge", Tensor.ofLongs(new long[] {3}, 0, 0, h * d)).scalar("c", (float) Math.sqrt(d));
        if (mask) {
            Tensor m = Tensor.allocate(DType.FLOAT, Shape.of(b, 1, 1, s));
            for (long j = 0; j < m.size(); j++) {
                // Mask out the last third of the keys, and every key of row 0 when {@code masked}.
                boolean off = j % s >= s - s / 3 || (masked && j < s);
                m.setFloat(j, off ? -3.4028234663852886e38f : 0);
            }
            k.input("mask", m);
        }
        k.node2("Reshape", "q", "split", "q4").node("Transpose", "q4", "qt", ints("perm", 0, 2, 1, 3))
                .node2("Reshape", "k", "split", "k4").node("Transpose", "k4", "kt", ints("perm", 0, 2, 3, 1))
                .node2("Reshape", "v", "split", "v4").node("Transpose", "v4", "vt", ints("perm", 0, 2, 1, 3))
                .node2("MatMul", "qt", "kt", "sc").node2("Div", "sc", "c", "sd");
        if (mask) {
            k.node2("Add", "sd", "mask", "sm");
        }
        return k.node(mask ? "Softmax" : "Softmax", mask ? "sm" : "sd", "p", i("axis", 3)).node2("MatMul", "p", "vt", "o")
                .node("Transpose", "o", "ot", ints("perm", 0, 2, 1, 3)).node2("Reshape", "ot", "merge", "y").output("y");
    }

    @Test
    void matchesTheUnfusedAttention() {
        int seed = 0;
        for (long[] c : CASES) {
            for (boolean mask : new boolean[] {false, true}) {
                attention(seed++, c, mask, false).check("kiln.Attention", 1e-5, "attention");
            }
        }
    }

    @Test
    void aBatchMaskedOutEntirelyWithLargeNegativesStillMatches() {
        attention(9, new long[] {2, 70, 2, 4}, true, true).check("kiln.Attention", 1e-5, "attention");
    }
}

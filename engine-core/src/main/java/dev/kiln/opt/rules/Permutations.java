package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.tensor.SymbolicShape;

/** Transpose permutations. */
final class Permutations {
    private Permutations() {
    }

    /** The permutation of a Transpose node: its {@code perm}, or the reversal when absent and the rank is known; else {@code null}. */
    static long[] of(Node transpose, OptGraph g) {
        long[] perm = transpose.attrInts("perm");
        if (perm != null) {
            return perm;
        }
        SymbolicShape s = g.shape(transpose.input(0));
        if (s == null) {
            return null;
        }
        long[] r = new long[s.rank()];
        for (int i = 0; i < r.length; i++) {
            r[i] = r.length - 1 - i;
        }
        return r;
    }

    static boolean isIdentity(long[] perm) {
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] != i) {
                return false;
            }
        }
        return true;
    }

    /** The permutation of {@code Transpose(Transpose(x, first), second)}: {@code out[i] = x[first[second[i]]]}. */
    static long[] compose(long[] first, long[] second) {
        long[] r = new long[second.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = first[(int) second[i]];
        }
        return r;
    }
}

package dev.kiln.ops;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed Einsum equation. Labels are small integers: 0-25 for 'A'-'Z', 26-51 for 'a'-'z'
 * (so label order is ASCII order), and {@link #ELLIPSIS}{@code + e} for the e-th dimension the
 * ellipsis stands for, counted from the left of the widest ellipsis (operands with fewer
 * ellipsis dimensions align to the right, as in numpy broadcasting).
 */
public final class EinsumEquation {
    /** The first label of ellipsis dimensions. */
    public static final int ELLIPSIS = 52;

    private final String text;
    private final List<int[]> inputs;
    private final int[] output;

    private EinsumEquation(String text, List<int[]> inputs, int[] output) {
        this.text = text;
        this.inputs = inputs;
        this.output = output;
    }

    /** The labels of every axis of every input, and of the output, for inputs of known ranks. */
    public record Labels(int[][] inputAxes, int[] output, int labelCount) { }

    /**
     * Parses an equation; spaces are ignored.
     *
     * @throws IllegalArgumentException when it is malformed
     */
    public static EinsumEquation parse(String text) {
        String s = text.replace(" ", "");
        int arrow = s.indexOf("->");
        String lhs = arrow < 0 ? s : s.substring(0, arrow);
        int[] output = arrow < 0 ? null : term(s.substring(arrow + 2), text);
        List<int[]> inputs = new ArrayList<>();
        for (String part : lhs.split(",", -1)) {
            inputs.add(term(part, text));
        }
        return new EinsumEquation(text, inputs, output);
    }

    /** Number of operands the equation names. */
    public int inputCount() {
        return inputs.size();
    }

    /**
     * Resolves the labels for inputs of the given ranks. The implicit output is the ellipsis
     * followed by the labels used exactly once, in ASCII order.
     *
     * @throws IllegalArgumentException when a term does not fit its input's rank or the output
     *     names a label twice or one no input has
     */
    public Labels resolve(int[] ranks) {
        if (ranks.length != inputs.size()) {
            throw new IllegalArgumentException("Einsum equation '" + text + "' has " + inputs.size() + " terms for "
                    + ranks.length + " inputs");
        }
        int ellipsisRank = 0;
        int[] ellipses = new int[ranks.length];
        for (int i = 0; i < ranks.length; i++) {
            int[] term = inputs.get(i);
            boolean hasEllipsis = contains(term, -1);
            int e = ranks[i] - (term.length - (hasEllipsis ? 1 : 0));
            if (e < 0 || !hasEllipsis && e != 0) {
                throw new IllegalArgumentException("Einsum term " + i + " of '" + text + "' does not fit rank " + ranks[i]);
            }
            ellipses[i] = e;
            ellipsisRank = Math.max(ellipsisRank, e);
        }
        int count = ELLIPSIS + ellipsisRank;
        int[] occurrences = new int[count];
        int[][] axes = new int[ranks.length][];
        for (int i = 0; i < ranks.length; i++) {
            int[] ax = new int[ranks[i]];
            int a = 0;
            for (int l : inputs.get(i)) {
                if (l < 0) {
                    for (int j = 0; j < ellipses[i]; j++) {
                        ax[a++] = ELLIPSIS + ellipsisRank - ellipses[i] + j;
                    }
                } else {
                    ax[a++] = l;
                }
            }
            for (int l : ax) {
                occurrences[l]++;
            }
            axes[i] = ax;
        }
        List<Integer> out = new ArrayList<>();
        if (output != null) {
            for (int l : output) {
                if (l < 0) {
                    for (int j = 0; j < ellipsisRank; j++) {
                        out.add(ELLIPSIS + j);
                    }
                } else if (occurrences[l] == 0) {
                    throw new IllegalArgumentException("Einsum output label '" + name(l) + "' appears in no input");
                } else if (out.contains(l)) {
                    throw new IllegalArgumentException("Einsum output label '" + name(l) + "' repeats");
                } else {
                    out.add(l);
                }
            }
        } else {
            for (int j = 0; j < ellipsisRank; j++) {
                out.add(ELLIPSIS + j);
            }
            for (int l = 0; l < ELLIPSIS; l++) {
                if (occurrences[l] == 1) {
                    out.add(l);
                }
            }
        }
        return new Labels(axes, out.stream().mapToInt(Integer::intValue).toArray(), count);
    }

    /** A label as it is written. */
    public static String name(int label) {
        if (label >= ELLIPSIS) {
            return "...";
        }
        return String.valueOf((char) (label < 26 ? 'A' + label : 'a' + label - 26));
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static int[] term(String part, String text) {
        List<Integer> labels = new ArrayList<>();
        boolean ellipsis = false;
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '.') {
                if (ellipsis || !part.startsWith("...", i)) {
                    throw new IllegalArgumentException("Einsum equation '" + text + "' has a malformed ellipsis");
                }
                ellipsis = true;
                labels.add(-1);
                i += 2;
            } else if (c >= 'A' && c <= 'Z') {
                labels.add(c - 'A');
            } else if (c >= 'a' && c <= 'z') {
                labels.add(26 + c - 'a');
            } else {
                throw new IllegalArgumentException("Einsum equation '" + text + "' has invalid character '" + c + "'");
            }
        }
        return labels.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public String toString() {
        return text;
    }
}

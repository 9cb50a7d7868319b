package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Einsum in full generality: explicit and implicit output, repeated labels within an operand
 * (diagonals), labels summed away, and ellipsis broadcasting (numpy rules: ellipsis dimensions
 * align from the right and size-1 dimensions stretch).
 *
 * <p>The kernel walks every combination of output labels and, inside, every combination of
 * summed labels: exact and simple, with the cost of the naive algorithm.
 */
final class EinsumKernels {
    private EinsumKernels() {
    }

    /** Labels 0-51 are letters; ellipsis dimension {@code e} (from the left) is label {@code ELLIPSIS + e}. */
    private static final int ELLIPSIS = 52;

    static void register(KernelRegistry r) {
        r.onnx(EinsumKernels::einsum, "Einsum");
    }

    /** One operand's term: its labels in order, with -1 where the ellipsis stands. */
    private record Term(int[] labels, boolean ellipsis) { }

    /** A parsed equation; {@code output} is null in implicit mode. */
    private record Equation(List<Term> inputs, Term output) { }

    private static Kernel einsum(BindContext b) {
        String text = b.node().attrString("equation", null);
        if (text == null) {
            throw new IllegalArgumentException("Einsum needs the 'equation' attribute");
        }
        Equation eq = parse(text);
        return k -> {
            int n = k.inputCount();
            if (n != eq.inputs().size()) {
                throw new IllegalArgumentException("Einsum equation '" + text + "' has " + eq.inputs().size()
                        + " terms for " + n + " inputs");
            }
            Tensor[] xs = new Tensor[n];
            for (int i = 0; i < n; i++) {
                xs[i] = k.tensor(i);
                if (xs[i].dtype() != xs[0].dtype()) {
                    throw new IllegalArgumentException("Einsum inputs differ in type: " + xs[0].dtype() + " and "
                            + xs[i].dtype());
                }
            }
            DType t = xs[0].dtype();
            if (!t.isFloat() && !t.isInteger()) {
                throw new IllegalArgumentException("Einsum is not defined for " + t + " tensors");
            }
            // Resolve each operand's labels per axis, the ellipsis becoming right-aligned labels.
            int ellipsisRank = 0;
            int[][] axisLabels = new int[n][];
            for (int i = 0; i < n; i++) {
                Term term = eq.inputs().get(i);
                int letters = term.labels().length - (term.ellipsis() ? 1 : 0);
                int e = xs[i].rank() - letters;
                if (e < 0 || (!term.ellipsis() && e != 0)) {
                    throw new IllegalArgumentException("Einsum term " + i + " does not fit input of shape " + xs[i].shape());
                }
                ellipsisRank = Math.max(ellipsisRank, e);
            }
            long[] size = new long[ELLIPSIS + ellipsisRank];
            Arrays.fill(size, -1);
            int[] occurrences = new int[size.length];
            for (int i = 0; i < n; i++) {
                Term term = eq.inputs().get(i);
                int e = xs[i].rank() - (term.labels().length - (term.ellipsis() ? 1 : 0));
                int[] ax = new int[xs[i].rank()];
                int a = 0;
                for (int l : term.labels()) {
                    if (l < 0) {
                        for (int j = 0; j < e; j++) {
                            ax[a++] = ELLIPSIS + ellipsisRank - e + j;
                        }
                    } else {
                        ax[a++] = l;
                    }
                }
                axisLabels[i] = ax;
                for (int d = 0; d < ax.length; d++) {
                    long dim = xs[i].shape().dim(d);
                    int l = ax[d];
                    occurrences[l]++;
                    if (size[l] == -1 || size[l] == 1) {
                        size[l] = dim;
                    } else if (dim != 1 && dim != size[l]) {
                        throw new IllegalArgumentException("Einsum label '" + name(l) + "' has sizes " + size[l]
                                + " and " + dim);
                    }
                }
            }
            int[] outLabels = outputLabels(eq, occurrences, ellipsisRank);
            boolean[] inOutput = new boolean[size.length];
            long[] outDims = new long[outLabels.length];
            for (int j = 0; j < outLabels.length; j++) {
                int l = outLabels[j];
                if (l < ELLIPSIS && occurrences[l] == 0) {
                    throw new IllegalArgumentException("Einsum output label '" + name(l) + "' appears in no input");
                }
                if (inOutput[l]) {
                    throw new IllegalArgumentException("Einsum output label '" + name(l) + "' repeats");
                }
                inOutput[l] = true;
                outDims[j] = Math.max(size[l], 1);
            }
            List<Integer> summed = new ArrayList<>();
            for (int l = 0; l < size.length; l++) {
                if (occurrences[l] > 0 && !inOutput[l]) {
                    summed.add(l);
                }
            }
            long[] sumDims = new long[summed.size()];
            for (int j = 0; j < sumDims.length; j++) {
                sumDims[j] = size[summed.get(j)];
            }
            long[][] outStrides = new long[n][];
            long[][] sumStrides = new long[n][];
            for (int i = 0; i < n; i++) {
                long[] labelStride = new long[size.length];
                long[] st = xs[i].shape().strides();
                for (int d = 0; d < st.length; d++) {
                    // A repeated label walks the diagonal: its strides add up. Stretched axes stay put.
                    if (xs[i].shape().dim(d) != 1) {
                        labelStride[axisLabels[i][d]] += st[d];
                    }
                }
                outStrides[i] = new long[outLabels.length];
                for (int j = 0; j < outLabels.length; j++) {
                    outStrides[i][j] = labelStride[outLabels[j]];
                }
                sumStrides[i] = new long[sumDims.length];
                for (int j = 0; j < sumDims.length; j++) {
                    sumStrides[i][j] = labelStride[summed.get(j)];
                }
            }
            Shape os = Shape.of(outDims);
            Tensor y = k.allocate(0, t, os);
            long sumCount = Shape.of(sumDims).size();
            Odometer outer = new Odometer(outDims, outStrides);
            Odometer inner = new Odometer(sumDims, sumStrides);
            boolean floating = t.isFloat();
            for (long o = 0; o < os.size(); o++) {
                double acc = 0;
                long lacc = 0;
                for (long s = 0; s < sumCount; s++) {
                    if (floating) {
                        double p = 1;
                        for (int i = 0; i < n; i++) {
                            p *= xs[i].getDouble(outer.offset(i) + inner.offset(i));
                        }
                        acc += p;
                    } else {
                        long p = 1;
                        for (int i = 0; i < n; i++) {
                            p *= xs[i].getLong(outer.offset(i) + inner.offset(i));
                        }
                        lacc += p;
                    }
                    inner.next();
                }
                if (floating) {
                    y.setDouble(o, acc);
                } else {
                    y.setLong(o, lacc);
                }
                outer.next();
            }
        };
    }

    /** Explicit output labels, or the implicit ones: the ellipsis, then labels used once, in ASCII order. */
    private static int[] outputLabels(Equation eq, int[] occurrences, int ellipsisRank) {
        List<Integer> out = new ArrayList<>();
        if (eq.output() != null) {
            for (int l : eq.output().labels()) {
                if (l < 0) {
                    for (int j = 0; j < ellipsisRank; j++) {
                        out.add(ELLIPSIS + j);
                    }
                } else {
                    out.add(l);
                }
            }
        } else {
            for (int j = 0; j < ellipsisRank; j++) {
                out.add(ELLIPSIS + j);
            }
            // Labels 0-25 are 'A'-'Z' and 26-51 'a'-'z', which is ASCII order.
            for (int l = 0; l < ELLIPSIS; l++) {
                if (occurrences[l] == 1) {
                    out.add(l);
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Equation parse(String text) {
        String s = text.replace(" ", "");
        int arrow = s.indexOf("->");
        String lhs = arrow < 0 ? s : s.substring(0, arrow);
        Term output = arrow < 0 ? null : term(s.substring(arrow + 2), text);
        List<Term> inputs = new ArrayList<>();
        for (String part : lhs.split(",", -1)) {
            inputs.add(term(part, text));
        }
        return new Equation(inputs, output);
    }

    private static Term term(String part, String text) {
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
        return new Term(labels.stream().mapToInt(Integer::intValue).toArray(), ellipsis);
    }

    private static String name(int label) {
        if (label >= ELLIPSIS) {
            return "...";
        }
        return String.valueOf((char) (label < 26 ? 'A' + label : 'a' + label - 26));
    }
}

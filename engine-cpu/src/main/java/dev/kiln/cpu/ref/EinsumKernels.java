package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.ops.EinsumEquation;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Einsum in full generality: explicit and implicit output, repeated labels within an operand
 * (diagonals), labels summed away, and ellipsis broadcasting (size-1 dimensions stretch).
 *
 * <p>Operands are contracted two at a time, left to right, after each has summed away the
 * labels no one else needs: the work of a step is bounded by the product of two operands'
 * sizes, where a single loop over every label would multiply the sizes of all of them.
 * Intermediates are double (floating types) or int64 (integers, whose wrapping commutes with
 * the sums) and the result is converted once.
 */
final class EinsumKernels {
    private EinsumKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(EinsumKernels::einsum, "Einsum");
    }

    /** A tensor whose axes carry labels; a label may repeat (a diagonal). */
    private record Operand(Tensor t, int[] labels) { }

    private static Kernel einsum(BindContext b) {
        String text = b.node().attrString("equation", null);
        if (text == null) {
            throw new IllegalArgumentException("Einsum needs the 'equation' attribute");
        }
        EinsumEquation eq = EinsumEquation.parse(text);
        return k -> {
            int n = k.inputCount();
            Tensor[] xs = new Tensor[n];
            int[] ranks = new int[n];
            for (int i = 0; i < n; i++) {
                xs[i] = k.tensor(i);
                ranks[i] = xs[i].rank();
                if (xs[i].dtype() != xs[0].dtype()) {
                    throw new IllegalArgumentException("Einsum inputs differ in type: " + xs[0].dtype() + " and "
                            + xs[i].dtype());
                }
            }
            DType t = xs[0].dtype();
            if (!t.isFloat() && !t.isInteger()) {
                throw new IllegalArgumentException("Einsum is not defined for " + t + " tensors");
            }
            EinsumEquation.Labels labels = eq.resolve(ranks);
            long[] size = new long[labels.labelCount()];
            Arrays.fill(size, -1);
            List<Operand> ops = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int[] ax = labels.inputAxes()[i];
                for (int d = 0; d < ax.length; d++) {
                    long dim = xs[i].shape().dim(d);
                    int l = ax[d];
                    if (size[l] == -1 || size[l] == 1) {
                        size[l] = dim;
                    } else if (dim != 1 && dim != size[l]) {
                        throw new IllegalArgumentException("Einsum label '" + EinsumEquation.name(l) + "' has sizes "
                                + size[l] + " and " + dim);
                    }
                }
                ops.add(new Operand(xs[i], ax));
            }
            int[] out = labels.output();
            DType work = t.isFloat() ? DType.DOUBLE : DType.INT64;
            // Each operand first drops the labels that neither the output nor another operand has.
            for (int i = 0; i < ops.size(); i++) {
                int[] keep = needed(ops, i, -1, out);
                if (!Arrays.equals(keep, ops.get(i).labels())) {
                    ops.set(i, contract(k, List.of(ops.get(i)), keep, size, work));
                }
            }
            while (ops.size() > 1) {
                int[] keep = needed(ops, 0, 1, out);
                Operand ab = contract(k, List.of(ops.get(0), ops.get(1)), keep, size, work);
                ops.remove(1);
                ops.set(0, ab);
            }
            Operand result = contract(k, ops, out, size, work);
            Tensor y = k.allocate(0, t, result.t().shape());
            for (long i = 0; i < y.size(); i++) {
                if (t.isFloat()) {
                    y.setDouble(i, result.t().getDouble(i));
                } else {
                    y.setLong(i, result.t().getLong(i));
                }
            }
        };
    }

    /**
     * The distinct labels of operands {@code a} and {@code b} (b may be -1) that the output or
     * some other operand still needs, in order of first appearance.
     */
    private static int[] needed(List<Operand> ops, int a, int b, int[] out) {
        List<Integer> keep = new ArrayList<>();
        for (int which : new int[] {a, b}) {
            if (which < 0) {
                continue;
            }
            for (int l : ops.get(which).labels()) {
                if (keep.contains(l)) {
                    continue;
                }
                boolean used = contains(out, l);
                for (int j = 0; j < ops.size() && !used; j++) {
                    used = j != a && j != b && contains(ops.get(j).labels(), l);
                }
                if (used) {
                    keep.add(l);
                }
            }
        }
        return keep.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * The operand with axes {@code out} (distinct labels) holding, for each of its indices, the
     * sum over every other label of the operands of the product of their elements. It lives in
     * the kernel's scratch memory, within the session's budget.
     */
    private static Operand contract(KernelContext k, List<Operand> ops, int[] out, long[] size, DType work) {
        int n = ops.size();
        List<Integer> summed = new ArrayList<>();
        for (Operand op : ops) {
            for (int l : op.labels()) {
                if (!contains(out, l) && !summed.contains(l)) {
                    summed.add(l);
                }
            }
        }
        long[] outDims = new long[out.length];
        for (int j = 0; j < out.length; j++) {
            outDims[j] = size[out[j]];
        }
        long[] sumDims = new long[summed.size()];
        for (int j = 0; j < sumDims.length; j++) {
            sumDims[j] = size[summed.get(j)];
        }
        long[][] outStrides = new long[n][];
        long[][] sumStrides = new long[n][];
        for (int i = 0; i < n; i++) {
            Tensor x = ops.get(i).t();
            long[] labelStride = new long[size.length];
            long[] st = x.shape().strides();
            for (int d = 0; d < st.length; d++) {
                // A repeated label walks the diagonal: its strides add up. Stretched axes stay put.
                if (x.shape().dim(d) != 1) {
                    labelStride[ops.get(i).labels()[d]] += st[d];
                }
            }
            outStrides[i] = new long[out.length];
            for (int j = 0; j < out.length; j++) {
                outStrides[i][j] = labelStride[out[j]];
            }
            sumStrides[i] = new long[sumDims.length];
            for (int j = 0; j < sumDims.length; j++) {
                sumStrides[i][j] = labelStride[summed.get(j)];
            }
        }
        Shape os = Shape.of(outDims);
        Tensor y = Tensor.wrap(work, os, k.scratch(Math.max(1, work.byteSize(os.size()))));
        long sumCount = Shape.of(sumDims).size();
        Odometer outer = new Odometer(outDims, outStrides);
        Odometer inner = new Odometer(sumDims, sumStrides);
        boolean floating = work == DType.DOUBLE;
        for (long o = 0; o < os.size(); o++) {
            double acc = 0;
            long lacc = 0;
            for (long s = 0; s < sumCount; s++) {
                if (floating) {
                    double p = 1;
                    for (int i = 0; i < n; i++) {
                        p *= ops.get(i).t().getDouble(outer.offset(i) + inner.offset(i));
                    }
                    acc += p;
                } else {
                    long p = 1;
                    for (int i = 0; i < n; i++) {
                        p *= ops.get(i).t().getLong(outer.offset(i) + inner.offset(i));
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
        return new Operand(y, out.clone());
    }
}

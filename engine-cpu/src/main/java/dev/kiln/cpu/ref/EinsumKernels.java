package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
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
 * <p>The kernel walks every combination of output labels and, inside, every combination of
 * summed labels: exact and simple, with the cost of the naive algorithm. Floating types
 * accumulate in double, integers in wrapping long arithmetic.
 */
final class EinsumKernels {
    private EinsumKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(EinsumKernels::einsum, "Einsum");
    }

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
            }
            int[] outLabels = labels.output();
            boolean[] inOutput = new boolean[size.length];
            long[] outDims = new long[outLabels.length];
            for (int j = 0; j < outLabels.length; j++) {
                inOutput[outLabels[j]] = true;
                outDims[j] = size[outLabels[j]];
            }
            List<Integer> summed = new ArrayList<>();
            for (int l = 0; l < size.length; l++) {
                if (size[l] >= 0 && !inOutput[l]) {
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
                        labelStride[labels.inputAxes()[i][d]] += st[d];
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
}

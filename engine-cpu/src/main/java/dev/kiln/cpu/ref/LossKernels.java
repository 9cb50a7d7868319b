package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Losses: NegativeLogLikelihoodLoss on log-probabilities, and SoftmaxCrossEntropyLoss, which is
 * the same loss taken on the log-softmax of its scores along axis 1 (also returned as
 * {@code log_prob}). Scores are (N, C, d1..dk), labels (N, d1..dk).
 */
final class LossKernels {
    private LossKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(b -> loss(b, false), "NegativeLogLikelihoodLoss");
        r.onnx(b -> loss(b, true), "SoftmaxCrossEntropyLoss");
    }

    private static Kernel loss(BindContext b, boolean softmax) {
        String reduction = b.node().attrString("reduction", "mean");
        boolean hasIgnore = b.node().attribute("ignore_index") != null;
        long ignore = b.node().attrInt("ignore_index", 0);
        if (!reduction.equals("none") && !reduction.equals("sum") && !reduction.equals("mean")) {
            throw new IllegalArgumentException("unknown reduction '" + reduction + "'");
        }
        return k -> {
            Tensor x = k.tensor(0);
            Tensor labels = k.tensor(1);
            Tensor weight = k.hasInput(2) ? k.tensor(2) : null;
            if (x.rank() < 2) {
                throw new IllegalArgumentException("scores must be (N, C, ...), got " + x.shape());
            }
            long n = x.shape().dim(0);
            long c = x.shape().dim(1);
            long inner = x.shape().sizeBetween(2, x.rank());
            long[] labelDims = new long[x.rank() - 1];
            labelDims[0] = n;
            System.arraycopy(x.shape().dims(), 2, labelDims, 1, x.rank() - 2);
            if (!labels.shape().equals(Shape.of(labelDims))) {
                throw new IllegalArgumentException("labels " + labels.shape() + " do not match scores " + x.shape());
            }
            if (weight != null && (weight.rank() != 1 || weight.size() != c)) {
                throw new IllegalArgumentException("weight " + weight.shape() + " must hold one value per class (" + c + ")");
            }
            Tensor logProb = x;
            if (softmax) {
                logProb = k.hasOutput(1) ? k.allocate(1, x.dtype(), x.shape()) : Tensor.allocate(x.dtype(), x.shape());
                logSoftmax(x, logProb, n, c, inner);
            }
            double[] losses = new double[Math.toIntExact(n * inner)];
            double sum = 0;
            double weightSum = 0;
            for (long s = 0; s < n * inner; s++) {
                long label = labels.getLong(s);
                if (hasIgnore && label == ignore) {
                    continue;
                }
                if (label < 0 || label >= c) {
                    throw new IllegalArgumentException("label " + label + " at " + s + " is outside [0, " + c + ")");
                }
                double w = weight == null ? 1 : weight.getDouble(label);
                long at = (s / inner * c + label) * inner + s % inner;
                losses[(int) s] = -logProb.getDouble(at) * w;
                sum += losses[(int) s];
                weightSum += w;
            }
            switch (reduction) {
                case "none" -> {
                    Tensor y = k.allocate(0, x.dtype(), labels.shape());
                    for (int i = 0; i < losses.length; i++) {
                        y.setDouble(i, losses[i]);
                    }
                }
                case "sum" -> k.allocate(0, x.dtype(), Shape.SCALAR).setDouble(0, sum);
                default -> k.allocate(0, x.dtype(), Shape.SCALAR).setDouble(0, sum / weightSum);
            }
        };
    }

    /** Log-softmax along axis 1 of an (N, C, inner) layout. */
    private static void logSoftmax(Tensor x, Tensor y, long n, long c, long inner) {
        double[] row = new double[Math.toIntExact(c)];
        for (long o = 0; o < n; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * c * inner + i;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    row[j] = x.getDouble(base + j * inner);
                    max = Math.max(max, row[j]);
                }
                double sum = 0;
                for (int j = 0; j < c; j++) {
                    sum += Math.exp(row[j] - max);
                }
                double log = max + Math.log(sum);
                for (int j = 0; j < c; j++) {
                    y.setDouble(base + j * inner, row[j] - log);
                }
            }
        }
    }
}

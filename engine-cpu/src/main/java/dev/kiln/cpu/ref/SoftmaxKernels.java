package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Softmax, LogSoftmax and Hardmax. Before opset 13 they work on the input flattened to 2-D at
 * {@code axis} (default 1); since 13 along the single {@code axis} (default -1).
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    private enum Kind { SOFTMAX, LOG_SOFTMAX, HARDMAX }

    static void register(KernelRegistry r) {
        r.onnx(b -> kernel(b, Kind.SOFTMAX), "Softmax");
        r.onnx(b -> kernel(b, Kind.LOG_SOFTMAX), "LogSoftmax");
        r.onnx(b -> kernel(b, Kind.HARDMAX), "Hardmax");
    }

    private static Kernel kernel(BindContext b, Kind kind) {
        boolean legacy = b.opset() < 13;
        long axisAttr = b.node().attrInt("axis", legacy ? 1 : -1);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            int rank = x.rank();
            if (x.size() == 0) {
                return;
            }
            int axis = Shape.normalizeAxis(axisAttr, Math.max(rank, 1));
            long outer;
            long len;
            long inner;
            if (legacy) {
                outer = x.shape().sizeBetween(0, axis);
                len = x.shape().sizeBetween(axis, rank);
                inner = 1;
            } else {
                outer = x.shape().sizeBetween(0, axis);
                len = rank == 0 ? 1 : x.shape().dim(axis);
                inner = x.shape().sizeBetween(axis + 1, rank);
            }
            k.parallel().forRange(outer * inner, 1, (start, end) -> {
                for (long r = start; r < end; r++) {
                    long base = (r / inner) * len * inner + r % inner;
                    row(x, y, base, len, inner, kind);
                }
            });
        };
    }

    private static void row(Tensor x, Tensor y, long base, long len, long step, Kind kind) {
        double max = Double.NEGATIVE_INFINITY;
        long arg = 0;
        for (long i = 0; i < len; i++) {
            double v = x.getDouble(base + i * step);
            if (v > max) {
                max = v;
                arg = i;
            }
        }
        if (kind == Kind.HARDMAX) {
            for (long i = 0; i < len; i++) {
                y.setDouble(base + i * step, i == arg ? 1 : 0);
            }
            return;
        }
        double sum = 0;
        for (long i = 0; i < len; i++) {
            sum += Math.exp(x.getDouble(base + i * step) - max);
        }
        double logSum = Math.log(sum);
        for (long i = 0; i < len; i++) {
            double v = x.getDouble(base + i * step) - max;
            y.setDouble(base + i * step, kind == Kind.SOFTMAX ? Math.exp(v) / sum : v - logSum);
        }
    }
}

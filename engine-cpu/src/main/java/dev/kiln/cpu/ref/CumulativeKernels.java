package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Running totals along an axis: CumSum and CumProd, inclusive or exclusive, forward or reverse.
 * Floating types accumulate in double, integers in wrapping long arithmetic.
 */
final class CumulativeKernels {
    private CumulativeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(b -> cumulative(b, false), "CumSum");
        r.onnx(b -> cumulative(b, true), "CumProd");
    }

    private static Kernel cumulative(BindContext b, boolean product) {
        boolean exclusive = b.node().attrInt("exclusive", 0) != 0;
        boolean reverse = b.node().attrInt("reverse", 0) != 0;
        String op = b.node().opType();
        return k -> {
            Tensor x = k.tensor(0);
            Tensor axisT = k.tensor(1);
            if (axisT.size() != 1) {
                throw new IllegalArgumentException(op + " axis must be a scalar, got " + axisT.shape());
            }
            if (x.rank() == 0) {
                throw new IllegalArgumentException(op + " input must have rank >= 1");
            }
            boolean floating = x.dtype().isFloat();
            if (!floating && !x.dtype().isInteger()) {
                throw new IllegalArgumentException(op + " is not defined for " + x.dtype() + " tensors");
            }
            int axis = Shape.normalizeAxis(axisT.getLong(0), x.rank());
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long len = x.shape().dim(axis);
            long inner = x.shape().sizeBetween(axis + 1, x.rank());
            long outer = x.shape().sizeBetween(0, axis);
            for (long o = 0; o < outer; o++) {
                for (long in = 0; in < inner; in++) {
                    double acc = product ? 1 : 0;
                    long lacc = product ? 1 : 0;
                    for (long s = 0; s < len; s++) {
                        long i = (o * len + (reverse ? len - 1 - s : s)) * inner + in;
                        if (exclusive) {
                            store(y, i, floating, acc, lacc);
                        }
                        if (floating) {
                            acc = product ? acc * x.getDouble(i) : acc + x.getDouble(i);
                        } else {
                            lacc = product ? lacc * x.getLong(i) : lacc + x.getLong(i);
                        }
                        if (!exclusive) {
                            store(y, i, floating, acc, lacc);
                        }
                    }
                }
            }
        };
    }

    private static void store(Tensor y, long i, boolean floating, double acc, long lacc) {
        if (floating) {
            y.setDouble(i, acc);
        } else {
            y.setLong(i, lacc);
        }
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Reductions over axes (ReduceSum, ReduceMean, ... ) and ArgMax/ArgMin. */
final class ReduceKernels {
    private ReduceKernels() {
    }

    private enum Op { SUM, MEAN, MAX, MIN, PROD, L1, L2, LOG_SUM, LOG_SUM_EXP, SUM_SQUARE }

    static void register(KernelRegistry r) {
        reduce(r, "ReduceSum", Op.SUM);
        reduce(r, "ReduceMean", Op.MEAN);
        reduce(r, "ReduceMax", Op.MAX);
        reduce(r, "ReduceMin", Op.MIN);
        reduce(r, "ReduceProd", Op.PROD);
        reduce(r, "ReduceL1", Op.L1);
        reduce(r, "ReduceL2", Op.L2);
        reduce(r, "ReduceLogSum", Op.LOG_SUM);
        reduce(r, "ReduceLogSumExp", Op.LOG_SUM_EXP);
        reduce(r, "ReduceSumSquare", Op.SUM_SQUARE);
        r.onnx(b -> arg(b, true), "ArgMax");
        r.onnx(b -> arg(b, false), "ArgMin");
    }

    /** Since opset 13 ReduceSum, and since 18 every reduction, takes its axes as an input. */
    private static boolean axesAreInput(String op, int opset) {
        return op.equals("ReduceSum") ? opset >= 13 : opset >= 18;
    }

    private static void reduce(KernelRegistry r, String name, Op op) {
        r.onnx(b -> {
            boolean keep = b.node().attrInt("keepdims", 1) != 0;
            boolean noop = b.node().attrInt("noop_with_empty_axes", 0) != 0;
            boolean fromInput = axesAreInput(name, b.opset());
            long[] attrAxes = b.node().attrInts("axes");
            return k -> {
                Tensor x = k.tensor(0);
                long[] axes = fromInput ? (k.hasInput(1) ? k.tensor(1).toLongArray() : null) : attrAxes;
                if ((axes == null || axes.length == 0) && noop) {
                    identity(k, x, op);
                    return;
                }
                run(k, x, reducedAxes(axes, x.rank()), keep, op);
            };
        }, name);
    }

    /**
     * Reduction over the empty set of axes: each element alone, with the steps around the sum
     * still applied (ReduceLogSum takes the log, ReduceSumSquare squares, ReduceL1 and ReduceL2
     * give the magnitude).
     */
    private static void identity(KernelContext k, Tensor x, Op op) {
        Tensor y = k.allocate(0, x.dtype(), x.shape());
        boolean integer = !x.dtype().isFloat();
        boolean unsigned = x.dtype().kind() == DType.Kind.UNSIGNED || x.dtype() == DType.BOOL;
        for (long i = 0; i < x.size(); i++) {
            if (integer && op != Op.LOG_SUM) {
                long v = x.getLong(i);
                y.setLong(i, switch (op) {
                    case L1, L2 -> unsigned ? v : Math.abs(v);
                    case SUM_SQUARE -> v * v;
                    default -> v;
                });
                continue;
            }
            double v = x.getDouble(i);
            y.setDouble(i, switch (op) {
                case L1, L2 -> Math.abs(v);
                case SUM_SQUARE -> v * v;
                case LOG_SUM -> Math.log(v);
                default -> v;
            });
        }
    }

    private static boolean[] reducedAxes(long[] axes, int rank) {
        boolean[] red = new boolean[rank];
        if (axes == null || axes.length == 0) {
            java.util.Arrays.fill(red, true);
        } else {
            for (int a : Shapes.normalizeAxes(axes, rank)) {
                red[a] = true;
            }
        }
        return red;
    }

    private static void run(KernelContext k, Tensor x, boolean[] red, boolean keep, Op op) {
        int rank = x.rank();
        long[] outDims = outDims(x.shape(), red, keep);
        Shape outShape = Shape.of(outDims);
        Tensor y = k.allocate(0, x.dtype(), outShape);
        int outN = Math.toIntExact(outShape.size());
        boolean integer = !x.dtype().isFloat();
        double[] acc = new double[outN];
        long[] lacc = integer ? new long[outN] : null;
        long[] count = new long[outN];
        double init = switch (op) {
            case MAX, LOG_SUM_EXP -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
            case PROD -> 1;
            default -> 0;
        };
        java.util.Arrays.fill(acc, init);
        boolean unsigned64 = x.dtype() == DType.UINT64;
        if (integer) {
            // The empty set's maximum is the type's minimum and vice versa.
            java.util.Arrays.fill(lacc, switch (op) {
                case MAX -> lowest(x.dtype());
                case MIN -> highest(x.dtype());
                case PROD -> 1;
                default -> 0;
            });
        }
        // LogSumExp subtracts the maximum first, for range.
        double[] max = null;
        if (op == Op.LOG_SUM_EXP) {
            max = new double[outN];
            java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
            double[] m = max;
            visit(x, red, outShape, (xi, oi) -> m[oi] = Math.max(m[oi], x.getDouble(xi)));
            for (int i = 0; i < outN; i++) {
                acc[i] = 0;
            }
        }
        double[] mx = max;
        visit(x, red, outShape, (xi, oi) -> {
            count[oi]++;
            if (integer && (op == Op.SUM || op == Op.MEAN || op == Op.MAX || op == Op.MIN || op == Op.PROD
                    || op == Op.L1 || op == Op.SUM_SQUARE)) {
                long v = x.getLong(xi);
                lacc[oi] = switch (op) {
                    case MAX -> (unsigned64 ? Long.compareUnsigned(v, lacc[oi]) : Long.compare(v, lacc[oi])) > 0
                            ? v : lacc[oi];
                    case MIN -> (unsigned64 ? Long.compareUnsigned(v, lacc[oi]) : Long.compare(v, lacc[oi])) < 0
                            ? v : lacc[oi];
                    case PROD -> lacc[oi] * v;
                    case L1 -> lacc[oi] + (x.dtype().kind() == DType.Kind.SIGNED ? Math.abs(v) : v);
                    case SUM_SQUARE -> lacc[oi] + v * v;
                    default -> lacc[oi] + v;
                };
                return;
            }
            double v = x.getDouble(xi);
            acc[oi] = switch (op) {
                case SUM, MEAN, LOG_SUM -> acc[oi] + v;
                case MAX -> Double.isNaN(v) || Double.isNaN(acc[oi]) ? Double.NaN : Math.max(acc[oi], v);
                case MIN -> Double.isNaN(v) || Double.isNaN(acc[oi]) ? Double.NaN : Math.min(acc[oi], v);
                case PROD -> acc[oi] * v;
                case L1 -> acc[oi] + Math.abs(v);
                case L2, SUM_SQUARE -> acc[oi] + v * v;
                case LOG_SUM_EXP -> acc[oi] + Math.exp(v - mx[oi]);
            };
        });
        for (int i = 0; i < outN; i++) {
            if (integer && op != Op.L2 && op != Op.LOG_SUM && op != Op.LOG_SUM_EXP) {
                y.setLong(i, op != Op.MEAN ? lacc[i] : count[i] == 0 ? 0
                        : unsigned64 ? Long.divideUnsigned(lacc[i], count[i]) : lacc[i] / count[i]);
                continue;
            }
            double v = acc[i];
            y.setDouble(i, switch (op) {
                case MEAN -> v / count[i];
                case L2 -> Math.sqrt(v);
                case LOG_SUM -> Math.log(v);
                case LOG_SUM_EXP -> count[i] == 0 ? Double.NEGATIVE_INFINITY : mx[i] + Math.log(v);
                default -> v;
            });
        }
    }

    /** The smallest value of an integer or bool type (uint64 as its bit pattern). */
    private static long lowest(DType t) {
        return t.kind() == DType.Kind.SIGNED ? -(1L << (t.bits() - 1)) : 0;
    }

    /** The largest value of an integer or bool type (uint64 as its bit pattern, all ones). */
    private static long highest(DType t) {
        if (t == DType.BOOL) {
            return 1;
        }
        int bits = t.kind() == DType.Kind.SIGNED ? t.bits() - 1 : t.bits();
        return bits >= 64 ? -1L : (1L << bits) - 1;
    }

    private static long[] outDims(Shape s, boolean[] red, boolean keep) {
        java.util.List<Long> d = new java.util.ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (!red[i]) {
                d.add(s.dim(i));
            } else if (keep) {
                d.add(1L);
            }
        }
        return d.stream().mapToLong(Long::longValue).toArray();
    }

    @FunctionalInterface
    private interface Visit {
        void at(long inIndex, int outIndex);
    }

    /** Calls {@code v} for every input element with the index of the output element it reduces into. */
    private static void visit(Tensor x, boolean[] red, Shape outShape, Visit v) {
        int rank = x.rank();
        long n = x.size();
        if (n == 0) {
            return;
        }
        long[] dims = x.shape().dims();
        long[] outStride = new long[rank];
        long acc = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (!red[i]) {
                outStride[i] = acc;
                acc *= dims[i];
            }
        }
        long[] idx = new long[rank];
        long oi = 0;
        for (long i = 0; i < n; i++) {
            v.at(i, (int) oi);
            for (int a = rank - 1; a >= 0; a--) {
                idx[a]++;
                oi += outStride[a];
                if (idx[a] < dims[a]) {
                    break;
                }
                oi -= outStride[a] * dims[a];
                idx[a] = 0;
            }
        }
    }

    /**
     * ArgMax and ArgMin. NaN wins over every number in both (as numpy's argmax and argmin
     * report the first NaN); ties go to the first index, or the last with select_last_index.
     */
    private static Kernel arg(BindContext b, boolean max) {
        long axisAttr = b.node().attrInt("axis", 0);
        boolean keep = b.node().attrInt("keepdims", 1) != 0;
        boolean last = b.node().attrInt("select_last_index", 0) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            int rank = x.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            boolean[] red = new boolean[rank];
            if (rank > 0) {
                red[axis] = true;
            }
            long len = rank == 0 ? 1 : x.shape().dim(axis);
            if (len == 0) {
                throw new IllegalArgumentException(k.node().opType() + " over an empty axis has no answer");
            }
            Tensor y = k.allocate(0, DType.INT64, Shape.of(outDims(x.shape(), red, keep)));
            long outer = x.shape().sizeBetween(0, axis);
            long inner = rank == 0 ? 1 : x.shape().sizeBetween(axis + 1, rank);
            boolean floating = x.dtype().isFloat();
            ElementOrder order = ElementOrder.of(x.dtype());
            for (long o = 0; o < outer; o++) {
                for (long in = 0; in < inner; in++) {
                    long best = 0;
                    long bi = o * len * inner + in;
                    for (long i = 1; i < len; i++) {
                        long xi = (o * len + i) * inner + in;
                        int c;
                        if (floating && (Double.isNaN(x.getDouble(xi)) || Double.isNaN(x.getDouble(bi)))) {
                            // NaN beats numbers whichever way the search goes.
                            c = Double.isNaN(x.getDouble(bi)) ? (Double.isNaN(x.getDouble(xi)) ? 0 : -1) : 1;
                        } else {
                            c = max ? order.compare(x, xi, x, bi) : order.compare(x, bi, x, xi);
                        }
                        if (c > 0 || c == 0 && last) {
                            best = i;
                            bi = xi;
                        }
                    }
                    y.setLong(o * inner + in, best);
                }
            }
        };
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Operators that write updates into a copy of their data: ScatterElements (and the deprecated
 * Scatter), ScatterND, both with the {@code reduction} modes, and TensorScatter.
 */
final class ScatterKernels {
    private ScatterKernels() {
    }

    /** How an update combines with the element it lands on. */
    private enum Reduction {
        NONE, ADD, MUL, MAX, MIN;

        static Reduction of(String name, String op) {
            return switch (name) {
                case "none" -> NONE;
                case "add" -> ADD;
                case "mul" -> MUL;
                case "max" -> MAX;
                case "min" -> MIN;
                default -> throw new IllegalArgumentException(op + " reduction '" + name + "' is not one of none, "
                        + "add, mul, max, min");
            };
        }
    }

    static void register(KernelRegistry r) {
        r.onnx(ScatterKernels::scatterElements, "ScatterElements", "Scatter");
        r.onnx(ScatterKernels::scatterNd, "ScatterND");
        r.onnx(ScatterKernels::tensorScatter, "TensorScatter");
    }

    /**
     * Combines {@code count} consecutive updates into {@code y}: the reduction is computed in
     * double for floating types, in exact long arithmetic (wrapping to the type) for integers,
     * as logical or/and for bool.
     */
    private static void combine(Reduction red, Tensor u, long ui, Tensor y, long yi, long count) {
        if (red == Reduction.NONE) {
            Elements.copy(u, ui, y, yi, count);
            return;
        }
        DType t = y.dtype();
        for (long n = 0; n < count; n++) {
            long a = yi + n;
            long b = ui + n;
            if (t.isFloat()) {
                double x = y.getDouble(a);
                double v = u.getDouble(b);
                y.setDouble(a, switch (red) {
                    case ADD -> x + v;
                    case MUL -> x * v;
                    case MAX -> Double.isNaN(x) || Double.isNaN(v) ? Double.NaN : Math.max(x, v);
                    default -> Double.isNaN(x) || Double.isNaN(v) ? Double.NaN : Math.min(x, v);
                });
            } else if (t.isInteger() || t == DType.BOOL) {
                long x = y.getLong(a);
                long v = u.getLong(b);
                boolean unsigned = t == DType.UINT64;
                y.setLong(a, switch (red) {
                    case ADD -> t == DType.BOOL ? x | v : x + v;
                    case MUL -> x * v;
                    case MAX -> (unsigned ? Long.compareUnsigned(x, v) : Long.compare(x, v)) >= 0 ? x : v;
                    default -> (unsigned ? Long.compareUnsigned(x, v) : Long.compare(x, v)) <= 0 ? x : v;
                });
            } else {
                throw new IllegalArgumentException("reduction " + red.name().toLowerCase() + " is not defined for "
                        + t + " tensors");
            }
        }
    }

    private static void checkSameType(Tensor data, Tensor updates, String op) {
        if (updates.dtype() != data.dtype()) {
            throw new IllegalArgumentException(op + " updates of type " + updates.dtype() + " for data of type "
                    + data.dtype());
        }
    }

    // ------------------------------------------------------------------ ScatterElements / Scatter

    private static Kernel scatterElements(BindContext b) {
        String op = b.node().opType();
        long axisAttr = b.node().attrInt("axis", 0);
        Reduction red = Reduction.of(b.node().attrString("reduction", "none"), op);
        return k -> {
            Tensor data = k.tensor(0);
            Tensor idx = k.tensor(1);
            Tensor upd = k.tensor(2);
            if (data.rank() == 0) {
                throw new IllegalArgumentException(op + " data must have rank >= 1");
            }
            checkSameType(data, upd, op);
            int axis = Shape.normalizeAxis(axisAttr, data.rank());
            IndexingKernels.checkElementIndices(data.shape(), idx.shape(), axis, op);
            if (!upd.shape().equals(idx.shape())) {
                throw new IllegalArgumentException(op + " updates " + upd.shape() + " differ from indices " + idx.shape());
            }
            Tensor y = k.allocate(0, data.dtype(), data.shape());
            data.copyInto(y);
            long[] st = data.shape().strides();
            long dim = data.shape().dim(axis);
            Odometer o = new Odometer(idx.shape().dims(), Odometer.without(st, axis));
            for (long i = 0; i < idx.size(); i++) {
                long v = IndexingKernels.index(idx.getLong(i), dim, op);
                combine(red, upd, i, y, o.offset(0) + v * st[axis], 1);
                o.next();
            }
        };
    }

    // ------------------------------------------------------------------ ScatterND

    private static Kernel scatterNd(BindContext b) {
        Reduction red = Reduction.of(b.node().attrString("reduction", "none"), "ScatterND");
        return k -> {
            Tensor data = k.tensor(0);
            Tensor idx = k.tensor(1);
            Tensor upd = k.tensor(2);
            checkSameType(data, upd, "ScatterND");
            int r = data.rank();
            int q = idx.rank();
            if (r < 1 || q < 1) {
                throw new IllegalArgumentException("ScatterND data and indices must have rank >= 1");
            }
            long depth = idx.shape().dim(q - 1);
            if (depth > r) {
                throw new IllegalArgumentException("ScatterND indices.shape[-1] = " + depth + " exceeds data rank " + r);
            }
            long[] expected = new long[(int) (q - 1 + r - depth)];
            int j = 0;
            for (int a = 0; a < q - 1; a++) {
                expected[j++] = idx.shape().dim(a);
            }
            for (int a = (int) depth; a < r; a++) {
                expected[j++] = data.shape().dim(a);
            }
            if (!upd.shape().equals(Shape.of(expected))) {
                throw new IllegalArgumentException("ScatterND updates " + upd.shape() + " must have shape "
                        + Shape.of(expected));
            }
            Tensor y = k.allocate(0, data.dtype(), data.shape());
            data.copyInto(y);
            long[] st = data.shape().strides();
            long slice = data.shape().sizeBetween((int) depth, r);
            long tuples = idx.shape().sizeBetween(0, q - 1);
            for (long t = 0; t < tuples; t++) {
                long dst = 0;
                for (int d = 0; d < depth; d++) {
                    dst += IndexingKernels.index(idx.getLong(t * depth + d), data.shape().dim(d), "ScatterND") * st[d];
                }
                combine(red, upd, t * slice, y, dst, slice);
            }
        };
    }

    // ------------------------------------------------------------------ TensorScatter

    private static Kernel tensorScatter(BindContext b) {
        long axisAttr = b.node().attrInt("axis", -2);
        String mode = b.node().attrString("mode", "linear");
        if (!mode.equals("linear") && !mode.equals("circular")) {
            throw new IllegalArgumentException("TensorScatter mode '" + mode + "' is not linear or circular");
        }
        boolean circular = mode.equals("circular");
        return k -> {
            Tensor past = k.tensor(0);
            Tensor upd = k.tensor(1);
            checkSameType(past, upd, "TensorScatter");
            int rank = past.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            if (axis == 0 || upd.rank() != rank) {
                throw new IllegalArgumentException("TensorScatter needs axis != 0 and update of the cache's rank; got axis "
                        + axisAttr + ", cache " + past.shape() + ", update " + upd.shape());
            }
            for (int a = 0; a < rank; a++) {
                if (a != axis && upd.shape().dim(a) != past.shape().dim(a)
                        || a == axis && upd.shape().dim(a) > past.shape().dim(a)) {
                    throw new IllegalArgumentException("TensorScatter update " + upd.shape() + " does not fit cache "
                            + past.shape() + " on axis " + a);
                }
            }
            long batch = past.shape().dim(0);
            Tensor wi = k.hasInput(2) ? k.tensor(2) : null;
            if (wi != null && wi.size() != batch) {
                throw new IllegalArgumentException("TensorScatter write_indices " + wi.shape() + " for batch " + batch);
            }
            Tensor y = k.allocate(0, past.dtype(), past.shape());
            past.copyInto(y);
            long maxSeq = past.shape().dim(axis);
            long seq = upd.shape().dim(axis);
            long inner = past.shape().sizeBetween(axis + 1, rank);
            long prefixes = past.shape().sizeBetween(0, axis);
            long perBatch = past.shape().sizeBetween(1, axis);
            for (long p = 0; p < prefixes; p++) {
                long start = wi == null ? 0 : wi.getLong(p / perBatch);
                for (long s = 0; s < seq; s++) {
                    long pos = start + s;
                    if (circular) {
                        pos = Math.floorMod(pos, maxSeq);
                    } else if (pos < 0 || pos >= maxSeq) {
                        throw new IllegalArgumentException("TensorScatter writes position " + pos + " outside "
                                + maxSeq);
                    }
                    Elements.copy(upd, (p * seq + s) * inner, y, (p * maxSeq + pos) * inner, inner);
                }
            }
        };
    }
}

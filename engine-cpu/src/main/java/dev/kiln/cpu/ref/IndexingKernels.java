package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Operators that pick elements by index or position: GatherElements, GatherND, Compress,
 * NonZero, OneHot and Trilu.
 */
final class IndexingKernels {
    private IndexingKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(IndexingKernels::gatherElements, "GatherElements");
        r.onnx(IndexingKernels::gatherNd, "GatherND");
        r.onnx(IndexingKernels::compress, "Compress");
        r.onnx(b -> IndexingKernels::nonZero, "NonZero");
        r.onnx(IndexingKernels::oneHot, "OneHot");
        r.onnx(IndexingKernels::trilu, "Trilu");
    }

    /**
     * An index into an axis of length {@code dim}, negative values counting from the end.
     *
     * @throws IllegalArgumentException when it is outside {@code [-dim, dim)}
     */
    static long index(long v, long dim, String op) {
        if (v < -dim || v >= dim) {
            throw new IllegalArgumentException(op + " index " + v + " out of range [" + -dim + ", " + dim + ")");
        }
        return v < 0 ? v + dim : v;
    }

    /**
     * Checks that {@code indices} has the rank of {@code data} and is no larger on any axis but
     * {@code axis}, as GatherElements and ScatterElements require.
     */
    static void checkElementIndices(Shape data, Shape indices, int axis, String op) {
        if (indices.rank() != data.rank()) {
            throw new IllegalArgumentException(op + " indices of rank " + indices.rank() + " for data of rank "
                    + data.rank());
        }
        for (int a = 0; a < data.rank(); a++) {
            if (a != axis && indices.dim(a) > data.dim(a)) {
                throw new IllegalArgumentException(op + " indices " + indices + " exceed data " + data + " on axis " + a);
            }
        }
    }

    // ------------------------------------------------------------------ GatherElements

    private static Kernel gatherElements(BindContext b) {
        long axisAttr = b.node().attrInt("axis", 0);
        return k -> {
            Tensor data = k.tensor(0);
            Tensor idx = k.tensor(1);
            if (data.rank() == 0) {
                throw new IllegalArgumentException("GatherElements data must have rank >= 1");
            }
            int axis = Shape.normalizeAxis(axisAttr, data.rank());
            checkElementIndices(data.shape(), idx.shape(), axis, "GatherElements");
            Tensor y = k.allocate(0, data.dtype(), idx.shape());
            long[] st = data.shape().strides();
            long dim = data.shape().dim(axis);
            Odometer o = new Odometer(idx.shape().dims(), Odometer.without(st, axis));
            for (long i = 0; i < idx.size(); i++) {
                long v = index(idx.getLong(i), dim, "GatherElements");
                Elements.copy(data, o.offset(0) + v * st[axis], y, i, 1);
                o.next();
            }
        };
    }

    // ------------------------------------------------------------------ GatherND

    private static Kernel gatherNd(BindContext b) {
        int batchDims = Math.toIntExact(b.node().attrInt("batch_dims", 0));
        return k -> {
            Tensor data = k.tensor(0);
            Tensor idx = k.tensor(1);
            int r = data.rank();
            int q = idx.rank();
            if (r < 1 || q < 1 || batchDims < 0 || batchDims >= Math.min(q, r)) {
                throw new IllegalArgumentException("GatherND needs ranks >= 1 and batch_dims < min(rank(data), "
                        + "rank(indices)); got data " + data.shape() + ", indices " + idx.shape() + ", batch_dims "
                        + batchDims);
            }
            long depth = idx.shape().dim(q - 1);
            if (depth < 1 || depth > r - batchDims) {
                throw new IllegalArgumentException("GatherND indices.shape[-1] = " + depth + " must be in [1, "
                        + (r - batchDims) + "]");
            }
            for (int a = 0; a < batchDims; a++) {
                if (idx.shape().dim(a) != data.shape().dim(a)) {
                    throw new IllegalArgumentException("GatherND batch dimensions differ: data " + data.shape()
                            + ", indices " + idx.shape());
                }
            }
            long[] out = new long[(int) (q - 1 + r - batchDims - depth)];
            int j = 0;
            for (int a = 0; a < q - 1; a++) {
                out[j++] = idx.shape().dim(a);
            }
            for (int a = batchDims + (int) depth; a < r; a++) {
                out[j++] = data.shape().dim(a);
            }
            Tensor y = k.allocate(0, data.dtype(), Shape.of(out));
            long[] st = data.shape().strides();
            long slice = data.shape().sizeBetween(batchDims + (int) depth, r);
            long batchStride = batchDims == 0 ? 0 : st[batchDims - 1];
            long tuples = idx.shape().sizeBetween(0, q - 1);
            long perBatch = idx.shape().sizeBetween(batchDims, q - 1);
            for (long t = 0; t < tuples; t++) {
                long src = (t / perBatch) * batchStride;
                for (int d = 0; d < depth; d++) {
                    long dim = data.shape().dim(batchDims + d);
                    src += index(idx.getLong(t * depth + d), dim, "GatherND") * st[batchDims + d];
                }
                Elements.copy(data, src, y, t * slice, slice);
            }
        };
    }

    // ------------------------------------------------------------------ Compress

    private static Kernel compress(BindContext b) {
        boolean hasAxis = b.node().attribute("axis") != null;
        long axisAttr = b.node().attrInt("axis", 0);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor cond = k.tensor(1);
            if (cond.rank() != 1) {
                throw new IllegalArgumentException("Compress condition must be 1-D, got " + cond.shape());
            }
            Shape s = hasAxis ? x.shape() : Shape.of(x.size());
            int axis = hasAxis ? Shape.normalizeAxis(axisAttr, x.rank()) : 0;
            if (x.rank() == 0 && hasAxis) {
                throw new IllegalArgumentException("Compress with an axis needs input of rank >= 1");
            }
            long len = s.dim(axis);
            long n = cond.size();
            long kept = 0;
            for (long i = 0; i < n; i++) {
                if (cond.getBoolean(i)) {
                    if (i >= len) {
                        throw new IllegalArgumentException("Compress condition selects index " + i
                                + " beyond axis length " + len);
                    }
                    kept++;
                }
            }
            long[] out = s.dims();
            out[axis] = kept;
            Tensor y = k.allocate(0, x.dtype(), Shape.of(out));
            long outer = s.sizeBetween(0, axis);
            long inner = s.sizeBetween(axis + 1, s.rank());
            long o = 0;
            for (long a = 0; a < outer; a++) {
                for (long i = 0; i < Math.min(n, len); i++) {
                    if (cond.getBoolean(i)) {
                        Elements.copy(x, (a * len + i) * inner, y, o, inner);
                        o += inner;
                    }
                }
            }
        };
    }

    // ------------------------------------------------------------------ NonZero

    private static void nonZero(KernelContext k) {
        Tensor x = k.tensor(0);
        int rank = x.rank();
        long n = x.size();
        long count = 0;
        for (long i = 0; i < n; i++) {
            if (isNonZero(x, i)) {
                count++;
            }
        }
        Tensor y = k.allocate(0, DType.INT64, Shape.of(rank, count));
        long[] dims = x.shape().dims();
        long c = 0;
        Odometer o = new Odometer(dims);
        for (long i = 0; i < n; i++) {
            if (isNonZero(x, i)) {
                for (int a = 0; a < rank; a++) {
                    y.setLong(a * count + c, o.index(a));
                }
                c++;
            }
            o.next();
        }
    }

    private static boolean isNonZero(Tensor x, long i) {
        DType t = x.dtype();
        if (t == DType.STRING) {
            return !x.getString(i).isEmpty();
        }
        if (t.isFloat()) {
            return x.getDouble(i) != 0;
        }
        if (t.isInteger() || t == DType.BOOL) {
            return x.getLong(i) != 0;
        }
        throw new IllegalArgumentException("NonZero is not defined for " + t + " tensors");
    }

    // ------------------------------------------------------------------ OneHot

    /** OneHot: negative indices count from the end since opset 11; before, they are out of range. */
    private static Kernel oneHot(BindContext b) {
        long axisAttr = b.node().attrInt("axis", -1);
        boolean negative = b.opset() >= 11;
        return k -> {
            Tensor idx = k.tensor(0);
            Tensor depthT = k.tensor(1);
            Tensor values = k.tensor(2);
            if (depthT.size() != 1) {
                throw new IllegalArgumentException("OneHot depth must hold one value, got " + depthT.shape());
            }
            if (values.size() != 2 || values.rank() != 1) {
                throw new IllegalArgumentException("OneHot values must be [off, on], got " + values.shape());
            }
            long depth = (long) asDouble(depthT, 0);
            if (depth < 1) {
                throw new IllegalArgumentException("OneHot depth must be positive, got " + depth);
            }
            int rank = idx.rank() + 1;
            long a = axisAttr < 0 ? axisAttr + rank : axisAttr;
            if (a < 0 || a >= rank) {
                throw new IllegalArgumentException("OneHot axis " + axisAttr + " out of range for output rank " + rank);
            }
            int axis = (int) a;
            long[] out = new long[rank];
            for (int i = 0, j = 0; i < rank; i++) {
                out[i] = i == axis ? depth : idx.shape().dim(j++);
            }
            Tensor y = k.allocate(0, values.dtype(), Shape.of(out));
            long inner = Shape.of(out).sizeBetween(axis + 1, rank);
            long outer = Shape.of(out).sizeBetween(0, axis);
            for (long o = 0; o < outer; o++) {
                for (long d = 0; d < depth; d++) {
                    for (long in = 0; in < inner; in++) {
                        long v = (long) asDouble(idx, o * inner + in);
                        if (v < 0 && negative) {
                            v += depth;
                        }
                        Elements.copy(values, v == d ? 1 : 0, y, (o * depth + d) * inner + in, 1);
                    }
                }
            }
        };
    }

    /** A numeric element as a double (integers exactly up to 2^53), for inputs cast to int64 by the spec. */
    private static double asDouble(Tensor t, long i) {
        if (!t.dtype().isFloat() && !t.dtype().isInteger()) {
            throw new IllegalArgumentException("expected a numeric tensor, got " + t.dtype());
        }
        return t.dtype().isInteger() && t.dtype() != DType.UINT64 ? t.getLong(i) : t.getDouble(i);
    }

    // ------------------------------------------------------------------ Trilu

    private static Kernel trilu(BindContext b) {
        boolean upper = b.node().attrInt("upper", 1) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() < 2) {
                throw new IllegalArgumentException("Trilu input must have rank >= 2, got " + x.shape());
            }
            long diag = k.hasInput(1) ? k.tensor(1).getLong(0) : 0;
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            Tensor zero = Tensor.allocate(x.dtype(), Shape.SCALAR);
            long rows = x.shape().dim(-2);
            long cols = x.shape().dim(-1);
            long mats = x.size() / Math.max(1, rows * cols);
            for (long m = 0; m < mats; m++) {
                for (long i = 0; i < rows; i++) {
                    long base = (m * rows + i) * cols;
                    for (long j = 0; j < cols; j++) {
                        boolean keep = upper ? j - i >= diag : j - i <= diag;
                        if (keep) {
                            Elements.copy(x, base + j, y, base + j, 1);
                        } else {
                            Elements.copy(zero, 0, y, base + j, 1);
                        }
                    }
                }
            }
        };
    }
}

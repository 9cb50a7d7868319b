package dev.kiln.backend;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * Helpers for device backends, which bind kernels only for nodes whose shapes are static: the
 * shapes and types known at bind time, and the strides that broadcasting and strided copies need.
 */
public final class StaticShapes {
    /** The highest rank the device kernels' index arithmetic handles. */
    public static final int MAX_RANK = 6;

    private StaticShapes() {
    }

    /** The dims of input {@code i} (static on the device), or {@code null} when absent. */
    public static long[] in(BindContext ctx, int i) {
        ValueType t = ctx.inputType(i);
        return t instanceof ValueType.TensorType tt ? tt.shape().toShape().dims() : null;
    }

    /** The dims of output {@code i}. */
    public static long[] out(BindContext ctx, int i) {
        return ((ValueType.TensorType) ctx.outputType(i)).shape().toShape().dims();
    }

    /** The element type of input {@code i}, or {@code null} when unknown or absent. */
    public static DType inType(BindContext ctx, int i) {
        ValueType t = ctx.inputType(i);
        return t instanceof ValueType.TensorType tt ? tt.dtype() : null;
    }

    /** The element type of output {@code i}. */
    public static DType outType(BindContext ctx, int i) {
        return ((ValueType.TensorType) ctx.outputType(i)).dtype();
    }

    /** True when every present input and output {@code 0} is a float tensor. */
    public static boolean allFloat(BindContext ctx) {
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (ctx.node().hasInput(i) && inType(ctx, i) != DType.FLOAT) {
                return false;
            }
        }
        return outType(ctx, 0) == DType.FLOAT;
    }

    /** The element count of {@code dims}, overflow-checked. */
    public static long size(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The product of {@code dims[from..to)}. */
    public static long product(long[] dims, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            n *= dims[i];
        }
        return n;
    }

    /** Contiguous row-major strides, in elements. */
    public static long[] strides(long[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** The strides of {@code in} read as broadcast to {@code out} (numpy rules): 0 along broadcast dims. */
    public static long[] broadcastStrides(long[] in, long[] out) {
        long[] s = new long[out.length];
        long[] own = strides(in);
        int off = out.length - in.length;
        for (int i = 0; i < out.length; i++) {
            s[i] = i < off || in[i - off] == 1 ? 0 : own[i - off];
        }
        return s;
    }

    /**
     * Merges adjacent dims whose strides in every operand are contiguous with each other and
     * drops dims of size 1, so most walks become rank 1 or 2. Returns {dims, strides of operand
     * 0, strides of operand 1, ...}; {@code null} when more than {@link #MAX_RANK} dims remain.
     */
    public static long[][] collapse(long[] dims, long[]... strides) {
        List<Long> d = new ArrayList<>();
        List<long[]> s = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) {
                continue;
            }
            long[] col = new long[strides.length];
            for (int k = 0; k < strides.length; k++) {
                col[k] = strides[k][i];
            }
            if (!d.isEmpty()) {
                long[] prev = s.get(s.size() - 1);
                boolean merge = true;
                for (int k = 0; k < strides.length; k++) {
                    merge &= prev[k] == col[k] * dims[i];
                }
                if (merge) {
                    d.set(d.size() - 1, d.get(d.size() - 1) * dims[i]);
                    s.set(s.size() - 1, col);
                    continue;
                }
            }
            d.add(dims[i]);
            s.add(col);
        }
        if (d.isEmpty()) {
            d.add(1L);
            s.add(new long[strides.length]);
        }
        if (d.size() > MAX_RANK) {
            return null;
        }
        long[][] r = new long[strides.length + 1][d.size()];
        for (int i = 0; i < d.size(); i++) {
            r[0][i] = d.get(i);
            for (int k = 0; k < strides.length; k++) {
                r[k + 1][i] = s.get(i)[k];
            }
        }
        return r;
    }

    /** {@code v} padded with {@code fill} to {@link #MAX_RANK} entries. */
    public static long[] pad(long[] v, long fill) {
        long[] r = new long[MAX_RANK];
        java.util.Arrays.fill(r, fill);
        System.arraycopy(v, 0, r, 0, v.length);
        return r;
    }

    /** {@code v} as ints padded with {@code fill} to {@link #MAX_RANK} entries. */
    public static int[] padInts(long[] v, int fill) {
        int[] r = new int[MAX_RANK];
        java.util.Arrays.fill(r, fill);
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    /** The values of a constant integer input, or {@code null} when it is not constant. */
    public static long[] constantLongs(BindContext ctx, int i) {
        Tensor t = ctx.node().hasInput(i) ? ctx.constantInput(i) : null;
        return t == null ? null : t.toLongArray();
    }

    /** True when every dim fits the kernels' {@code int} dims. */
    public static boolean fitsInt(long[]... dims) {
        for (long[] ds : dims) {
            for (long d : ds) {
                if (d > Integer.MAX_VALUE) {
                    return false;
                }
            }
        }
        return true;
    }

    /** An axis in {@code [-rank, rank)} normalized to {@code [0, rank)}. */
    public static int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return (int) a;
    }

    /** The ints attribute {@code name}, or {@code fallback} when the node has none. */
    public static long[] ints(dev.kiln.graph.Node node, String name, long[] fallback) {
        long[] v = node.attrInts(name);
        return v == null ? fallback : v;
    }

    /** True when {@code n} elements can be indexed by the kernels' {@code int}s. */
    public static boolean fitsIndex(long n) {
        return n <= Integer.MAX_VALUE;
    }
}

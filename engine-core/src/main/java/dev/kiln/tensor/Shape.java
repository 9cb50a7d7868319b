package dev.kiln.tensor;

import java.util.Arrays;

/**
 * A concrete tensor shape. Immutable; every size computation is overflow-checked so that a
 * hostile model cannot make Kiln allocate a wrapped-around size.
 */
public final class Shape {
    /** The shape of a scalar (rank 0, one element). */
    public static final Shape SCALAR = new Shape(new long[0]);

    private final long[] dims;
    private final long size;

    private Shape(long[] dims) {
        this.dims = dims;
        long n = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d + " in " + Arrays.toString(dims));
            }
            n = Math.multiplyExact(n, d);
        }
        this.size = n;
    }

    /**
     * A shape with the given dimensions.
     *
     * @throws IllegalArgumentException if a dimension is negative
     * @throws ArithmeticException if the element count overflows a long
     */
    public static Shape of(long... dims) {
        return dims.length == 0 ? SCALAR : new Shape(dims.clone());
    }

    /** A shape from int dimensions. */
    public static Shape ofInts(int... dims) {
        long[] d = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            d[i] = dims[i];
        }
        return new Shape(d);
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i}; negative {@code i} counts from the end. */
    public long dim(int i) {
        return dims[i < 0 ? i + dims.length : i];
    }

    /** A copy of the dimensions. */
    public long[] dims() {
        return dims.clone();
    }

    /** Number of elements (1 for a scalar). */
    public long size() {
        return size;
    }

    /** Number of elements as an int, for the many kernels that index Java arrays. */
    public int intSize() {
        return Math.toIntExact(size);
    }

    /** Row-major strides in elements. */
    public long[] strides() {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    /** Product of dimensions {@code from} (inclusive) to {@code to} (exclusive). */
    public long sizeBetween(int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            n *= dims[i];
        }
        return n;
    }

    /** Normalizes an axis in {@code [-rank, rank)} to {@code [0, rank)}; a scalar accepts axis 0 and -1. */
    public static int normalizeAxis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException("axis " + axis + " out of range for rank " + rank);
        }
        return (int) a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims).replace(" ", "");
    }
}

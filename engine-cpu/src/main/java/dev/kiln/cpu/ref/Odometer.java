package dev.kiln.cpu.ref;

/**
 * Walks the indices of a shape in row-major order while keeping, for each of several tensors,
 * the element offset {@code sum(index[a] * stride[a])}. A stride of 0 holds a tensor still
 * along that axis, which is how kernels skip an axis they index themselves.
 */
final class Odometer {
    private final long[] dims;
    private final long[][] strides;
    private final long[] index;
    private final long[] offsets;

    /** An odometer over {@code dims} starting at index zero, with one stride array per tensor. */
    Odometer(long[] dims, long[]... strides) {
        this.dims = dims.clone();
        this.strides = strides;
        this.index = new long[dims.length];
        this.offsets = new long[strides.length];
        for (long[] s : strides) {
            if (s.length != dims.length) {
                throw new IllegalArgumentException("strides of rank " + s.length + " for rank " + dims.length);
            }
        }
    }

    /** The current offset into tensor {@code k}. */
    long offset(int k) {
        return offsets[k];
    }

    /** The current index along axis {@code a}. */
    long index(int a) {
        return index[a];
    }

    /** Moves to the next index; after the last one it wraps to zero. */
    void next() {
        for (int a = dims.length - 1; a >= 0; a--) {
            index[a]++;
            for (int k = 0; k < offsets.length; k++) {
                offsets[k] += strides[k][a];
            }
            if (index[a] < dims[a]) {
                return;
            }
            for (int k = 0; k < offsets.length; k++) {
                offsets[k] -= strides[k][a] * dims[a];
            }
            index[a] = 0;
        }
    }

    /** {@code strides} with axis {@code axis} set to 0. */
    static long[] without(long[] strides, int axis) {
        long[] s = strides.clone();
        s[axis] = 0;
        return s;
    }
}

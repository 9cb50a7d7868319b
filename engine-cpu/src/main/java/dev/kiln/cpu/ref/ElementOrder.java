package dev.kiln.cpu.ref;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;

/**
 * The total order on the elements of one tensor type that sorting operators (TopK, Unique) use:
 * numeric order for numbers (uint64 unsigned, {@code -0.0 == 0.0}, NaN above every number and
 * equal to itself), false before true, and strings by Unicode code point.
 */
@FunctionalInterface
interface ElementOrder {
    /** Compares element {@code i} of {@code a} with element {@code j} of {@code b}. */
    int compare(Tensor a, long i, Tensor b, long j);

    /** The order for tensors of type {@code t}. */
    static ElementOrder of(DType t) {
        if (t == DType.STRING) {
            return (a, i, b, j) -> compareCodePoints(a.getString(i), b.getString(j));
        }
        if (t.isFloat()) {
            return (a, i, b, j) -> compareNumbers(a.getDouble(i), b.getDouble(j));
        }
        if (t == DType.UINT64) {
            return (a, i, b, j) -> Long.compareUnsigned(a.getLong(i), b.getLong(j));
        }
        if (t.isInteger() || t == DType.BOOL) {
            return (a, i, b, j) -> Long.compare(a.getLong(i), b.getLong(j));
        }
        throw new IllegalArgumentException("elements of type " + t + " have no order");
    }

    /** Numeric comparison where NaN is the largest value and {@code -0.0 == 0.0}. */
    static int compareNumbers(double x, double y) {
        if (x < y) {
            return -1;
        }
        if (x > y) {
            return 1;
        }
        boolean nx = Double.isNaN(x);
        boolean ny = Double.isNaN(y);
        return nx == ny ? 0 : nx ? 1 : -1;
    }

    /** Compares strings by code point, as numpy orders unicode strings. */
    static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int cx = x.codePointAt(i);
            int cy = y.codePointAt(j);
            if (cx != cy) {
                return Integer.compare(cx, cy);
            }
            i += Character.charCount(cx);
            j += Character.charCount(cy);
        }
        return Boolean.compare(i < x.length(), j < y.length());
    }
}

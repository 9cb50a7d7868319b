package dev.kiln.ops;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import java.util.ArrayList;
import java.util.List;

/**
 * Shape rules shared by inference (on symbolic dims) and kernels (on concrete dims), so that
 * each formula is written once.
 */
public final class Shapes {
    private Shapes() {
    }

    /**
     * Multidirectional (numpy) broadcasting of concrete shapes.
     *
     * @throws IllegalArgumentException when the shapes do not broadcast
     */
    public static Shape broadcast(Shape... shapes) {
        int rank = 0;
        for (Shape s : shapes) {
            rank = Math.max(rank, s.rank());
        }
        long[] out = new long[rank];
        java.util.Arrays.fill(out, 1);
        for (Shape s : shapes) {
            int off = rank - s.rank();
            for (int i = 0; i < s.rank(); i++) {
                long d = s.dim(i);
                long o = out[off + i];
                if (o == 1) {
                    out[off + i] = d;
                } else if (d != 1 && d != o) {
                    throw new IllegalArgumentException("shapes " + java.util.Arrays.toString(shapes)
                            + " do not broadcast (dimension " + (off + i) + ": " + o + " vs " + d + ")");
                }
            }
        }
        return Shape.of(out);
    }

    /** Broadcasting of symbolic shapes; {@code null} (unknown rank) in, {@code null} out. */
    public static SymbolicShape broadcast(SymbolicShape... shapes) {
        int rank = 0;
        for (SymbolicShape s : shapes) {
            if (s == null) {
                return null;
            }
            rank = Math.max(rank, s.rank());
        }
        Dim[] out = new Dim[rank];
        java.util.Arrays.fill(out, Dim.of(1));
        for (SymbolicShape s : shapes) {
            int off = rank - s.rank();
            for (int i = 0; i < s.rank(); i++) {
                out[off + i] = broadcastDim(out[off + i], s.dim(i), shapes);
            }
        }
        return SymbolicShape.of(out);
    }

    private static Dim broadcastDim(Dim a, Dim b, SymbolicShape[] all) {
        if (a.isKnown() && a.value() == 1) {
            return b;
        }
        if (b.isKnown() && b.value() == 1) {
            return a;
        }
        if (a.equals(b)) {
            return a;
        }
        if (a.isKnown() && b.isKnown()) {
            throw new IllegalArgumentException("shapes " + java.util.Arrays.toString(all) + " do not broadcast ("
                    + a + " vs " + b + ")");
        }
        // One side unknown or symbolic: a known size other than 1 must be the result.
        if (a.isKnown()) {
            return a;
        }
        if (b.isKnown()) {
            return b;
        }
        return Dim.UNKNOWN;
    }

    /**
     * The output length of a sliding window (conv, pooling) along one axis.
     *
     * @param ceil round up instead of down ({@code ceil_mode})
     */
    public static long windowOutput(long in, long kernel, long stride, long dilation, long padBegin, long padEnd,
                                    boolean ceil) {
        long effective = (kernel - 1) * dilation + 1;
        long span = in + padBegin + padEnd - effective;
        if (span < 0) {
            throw new IllegalArgumentException("window of " + effective + " does not fit input of " + in
                    + " with pads " + padBegin + "+" + padEnd);
        }
        long out = (ceil ? Math.ceilDiv(span, stride) : Math.floorDiv(span, stride)) + 1;
        // With ceil_mode, a last window that starts inside the end padding is dropped.
        if (ceil && (out - 1) * stride >= in + padBegin) {
            out--;
        }
        return out;
    }

    /**
     * Resolves {@code auto_pad} into explicit pads for one axis: SAME_UPPER puts the odd pad at
     * the end, SAME_LOWER at the beginning.
     *
     * @return {begin, end}
     */
    public static long[] autoPad(String autoPad, long in, long kernel, long stride, long dilation) {
        if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
            long out = Math.ceilDiv(in, stride);
            long total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - in);
            long small = total / 2;
            long big = total - small;
            return autoPad.equals("SAME_UPPER") ? new long[] {small, big} : new long[] {big, small};
        }
        return new long[] {0, 0};
    }

    /** Normalizes axes against a rank, rejecting out-of-range values. */
    public static int[] normalizeAxes(long[] axes, int rank) {
        int[] r = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            long a = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (a < 0 || a >= rank) {
                throw new IllegalArgumentException("axis " + axes[i] + " out of range for rank " + rank);
            }
            r[i] = (int) a;
        }
        return r;
    }

    /**
     * The output shape of Reshape: {@code 0} copies the input dimension (unless
     * {@code allowZero}), {@code -1} is inferred.
     */
    public static long[] reshape(long[] input, long[] target, boolean allowZero) {
        long[] out = target.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && !allowZero) {
                if (i >= input.length) {
                    throw new IllegalArgumentException("reshape dimension " + i + " is 0 but the input has rank "
                            + input.length);
                }
                out[i] = input[i];
            }
            if (out[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape target has more than one -1");
                }
                infer = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException("reshape target has invalid dimension " + out[i]);
            } else {
                known = Math.multiplyExact(known, out[i]);
            }
        }
        long total = 1;
        for (long d : input) {
            total = Math.multiplyExact(total, d);
        }
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + java.util.Arrays.toString(input) + " to "
                        + java.util.Arrays.toString(target));
            }
            out[infer] = total / known;
        } else if (known != total) {
            throw new IllegalArgumentException("cannot reshape " + java.util.Arrays.toString(input) + " ("
                    + total + " elements) to " + java.util.Arrays.toString(target));
        }
        return out;
    }

    /**
     * One axis of Slice: {@code start} and {@code end} (negative counting from the end) clamped
     * to the axis as the spec says, then the number of elements taken by {@code step}.
     *
     * @return {first index, element count}
     * @throws IllegalArgumentException when {@code step} is 0
     */
    public static long[] slice(long dim, long start, long end, long step) {
        if (step == 0) {
            throw new IllegalArgumentException("Slice step must not be 0");
        }
        long s = start < 0 ? start + dim : start;
        long e = end < 0 ? end + dim : end;
        if (step > 0) {
            s = Math.max(0, Math.min(dim, s));
            e = Math.max(0, Math.min(dim, e));
            return new long[] {s, Math.max(0, Math.ceilDiv(e - s, step))};
        }
        s = Math.max(0, Math.min(dim - 1, s));
        e = Math.max(-1, Math.min(dim - 1, e));
        return new long[] {s, Math.max(0, Math.ceilDiv(s - e, -step))};
    }

    /** The dims of a symbolic shape as a list, for building new shapes. */
    static List<Dim> list(SymbolicShape s) {
        return new ArrayList<>(s.dims());
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.ops.Shapes;
import dev.kiln.tensor.Shape;

/**
 * Iterates an output shape together with inputs broadcast to it, in rows: a row is a run of
 * output elements along which every input either advances by one element or stays put.
 * Adjacent axes that are contiguous for every input are merged, so same-shape and
 * scalar-broadcast cases become one long row.
 */
public final class Broadcast {
    /** Receives one row: output start, length, and per input its start and step (0 or 1). */
    @FunctionalInterface
    public interface RowVisitor {
        void row(long outStart, long length, long[] inStart, long[] inStep);
    }

    private final Shape out;
    private final long[] dims;
    private final long[][] strides;

    private Broadcast(Shape out, long[] dims, long[][] strides) {
        this.out = out;
        this.dims = dims;
        this.strides = strides;
    }

    /** Broadcasts the inputs to their common shape. */
    public static Broadcast of(Shape... inputs) {
        return to(Shapes.broadcast(inputs), inputs);
    }

    /** Broadcasts the inputs to {@code out}, which must be their broadcast shape or larger. */
    public static Broadcast to(Shape out, Shape... inputs) {
        int rank = out.rank();
        long[][] st = new long[inputs.length][rank];
        for (int k = 0; k < inputs.length; k++) {
            Shape s = inputs[k];
            long[] own = s.strides();
            int off = rank - s.rank();
            for (int i = 0; i < rank; i++) {
                int j = i - off;
                st[k][i] = j < 0 || s.dim(j) == 1 ? 0 : own[j];
            }
        }
        // Merge axis i into i+1 when every input continues contiguously across the boundary.
        long[] d = out.dims();
        int n = rank;
        long[] md = new long[Math.max(n, 1)];
        long[][] ms = new long[inputs.length][Math.max(n, 1)];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (d[i] == 1 && n > 1) {
                continue;
            }
            if (m > 0) {
                boolean merge = true;
                for (int k = 0; k < inputs.length; k++) {
                    if (ms[k][m - 1] != st[k][i] * d[i]) {
                        merge = false;
                        break;
                    }
                }
                if (merge) {
                    md[m - 1] *= d[i];
                    for (int k = 0; k < inputs.length; k++) {
                        ms[k][m - 1] = st[k][i];
                    }
                    continue;
                }
            }
            md[m] = d[i];
            for (int k = 0; k < inputs.length; k++) {
                ms[k][m] = st[k][i];
            }
            m++;
        }
        if (m == 0) {
            md = new long[] {out.size()};
            ms = new long[inputs.length][1];
            for (int k = 0; k < inputs.length; k++) {
                ms[k][0] = inputs[k].size() == 1 ? 0 : 1;
            }
            m = 1;
        }
        long[] fd = java.util.Arrays.copyOf(md, m);
        long[][] fs = new long[inputs.length][];
        for (int k = 0; k < inputs.length; k++) {
            fs[k] = java.util.Arrays.copyOf(ms[k], m);
        }
        return new Broadcast(out, fd, fs);
    }

    /** The broadcast output shape. */
    public Shape shape() {
        return out;
    }

    /** Visits every row in output order. */
    public void forEachRow(RowVisitor v) {
        if (out.size() == 0) {
            return;
        }
        int r = dims.length;
        int inputs = strides.length;
        long rowLen = dims[r - 1];
        long[] step = new long[inputs];
        for (int k = 0; k < inputs; k++) {
            step[k] = strides[k][r - 1];
        }
        long rows = out.size() / rowLen;
        long[] idx = new long[r];
        long[] start = new long[inputs];
        for (long row = 0; row < rows; row++) {
            v.row(row * rowLen, rowLen, start, step);
            // Advance the odometer over the outer axes.
            for (int a = r - 2; a >= 0; a--) {
                idx[a]++;
                for (int k = 0; k < inputs; k++) {
                    start[k] += strides[k][a];
                }
                if (idx[a] < dims[a]) {
                    break;
                }
                for (int k = 0; k < inputs; k++) {
                    start[k] -= strides[k][a] * dims[a];
                }
                idx[a] = 0;
            }
        }
    }
}

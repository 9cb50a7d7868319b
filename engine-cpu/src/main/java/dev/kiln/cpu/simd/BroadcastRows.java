package dev.kiln.cpu.simd;

import dev.kiln.backend.Parallel;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.Shape;

/**
 * Numpy broadcasting as rows that workers can take in any order: the output is cut into rows
 * along its (merged) last axis; along a row each input either advances one element (step 1) or
 * stays on one element (step 0). Axes that every input walks contiguously are merged first, so
 * equal shapes and scalar operands become a single long row.
 */
final class BroadcastRows {
    /** Receives a row: output start, length, and for each input its start and step (0 or 1). */
    @FunctionalInterface
    interface Row {
        void run(long outStart, long length, long[] inStart, int[] inStep);
    }

    private final Shape out;
    private final long[] dims;
    private final long[][] strides;

    private BroadcastRows(Shape out, long[] dims, long[][] strides) {
        this.out = out;
        this.dims = dims;
        this.strides = strides;
    }

    /** Broadcasts the inputs to their common shape. */
    static BroadcastRows of(Shape... inputs) {
        return to(Shapes.broadcast(inputs), inputs);
    }

    /** Broadcasts the inputs to {@code out}. */
    static BroadcastRows to(Shape out, Shape... inputs) {
        int rank = out.rank();
        int k = inputs.length;
        long[] md = new long[rank + 1];
        long[][] ms = new long[k][rank + 1];
        int m = 0;
        for (int i = 0; i < rank; i++) {
            long d = out.dim(i);
            if (d == 1) {
                continue;
            }
            long[] st = new long[k];
            for (int j = 0; j < k; j++) {
                Shape s = inputs[j];
                int a = i - (rank - s.rank());
                st[j] = a < 0 || s.dim(a) == 1 ? 0 : s.strides()[a];
            }
            boolean merge = m > 0;
            for (int j = 0; j < k && merge; j++) {
                merge = ms[j][m - 1] == st[j] * d;
            }
            if (merge) {
                md[m - 1] *= d;
                for (int j = 0; j < k; j++) {
                    ms[j][m - 1] = st[j];
                }
            } else {
                md[m] = d;
                for (int j = 0; j < k; j++) {
                    ms[j][m] = st[j];
                }
                m++;
            }
        }
        if (m == 0) {
            md[0] = 1;
            m = 1;
        }
        long[] fd = java.util.Arrays.copyOf(md, m);
        long[][] fs = new long[k][];
        for (int j = 0; j < k; j++) {
            fs[j] = java.util.Arrays.copyOf(ms[j], m);
        }
        return new BroadcastRows(out, fd, fs);
    }

    /** The output shape. */
    Shape shape() {
        return out;
    }

    /** Length of every row. */
    long rowLength() {
        return dims[dims.length - 1];
    }

    /** Number of rows. */
    long rows() {
        return out.size() == 0 ? 0 : out.size() / rowLength();
    }

    /**
     * Visits every row, split over the workers when the output has at least {@code parallelMin}
     * elements.
     */
    void forEach(Parallel par, long parallelMin, Row row) {
        long rows = rows();
        if (rows == 0) {
            return;
        }
        long len = rowLength();
        if (out.size() < parallelMin || par.threads() == 1) {
            visit(0, rows, row);
            return;
        }
        if (rows == 1) {
            // One long row: cut it into pieces.
            long pieces = Math.min(par.threads(), Math.max(1, len / (parallelMin / 2)));
            int k = strides.length;
            par.forRange(pieces, 1, (s, e) -> {
                for (long p = s; p < e; p++) {
                    long a = len * p / pieces;
                    long b = len * (p + 1) / pieces;
                    long[] start = new long[k];
                    int[] step = new int[k];
                    for (int j = 0; j < k; j++) {
                        step[j] = (int) strides[j][dims.length - 1];
                        start[j] = a * step[j];
                    }
                    row.run(a, b - a, start, step);
                }
            });
            return;
        }
        par.forRange(rows, Math.max(1, parallelMin / Math.max(1, len) / 2), (s, e) -> visit(s, e, row));
    }

    /** Rows [first, end) in order. */
    private void visit(long first, long end, Row row) {
        int r = dims.length;
        int k = strides.length;
        long len = dims[r - 1];
        int[] step = new int[k];
        for (int j = 0; j < k; j++) {
            step[j] = (int) strides[j][r - 1];
        }
        long[] idx = new long[r];
        long[] start = new long[k];
        long rem = first;
        for (int a = r - 2; a >= 0; a--) {
            idx[a] = rem % dims[a];
            rem /= dims[a];
            for (int j = 0; j < k; j++) {
                start[j] += idx[a] * strides[j][a];
            }
        }
        for (long row0 = first; row0 < end; row0++) {
            row.run(row0 * len, len, start, step);
            for (int a = r - 2; a >= 0; a--) {
                idx[a]++;
                for (int j = 0; j < k; j++) {
                    start[j] += strides[j][a];
                }
                if (idx[a] < dims[a]) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    start[j] -= strides[j][a] * dims[a];
                }
                idx[a] = 0;
            }
        }
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.Parallel;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;

/**
 * Single-precision matrix product {@code C = epilogue(A x B)} in the shape of the classic
 * Goto/BLIS algorithm: B is cut into blocks of {@link #NC} columns and {@link #KC} depth steps,
 * A into blocks of {@link #MC} rows, both packed into the panel layouts the
 * {@link MicroKernel} streams (constant operands are packed once, at bind time), and the
 * micro-kernel sweeps a block of A against one B panel that stays in L1. Work is split over the
 * session's threads as a grid of row and column ranges chosen to balance whole tiles.
 */
final class Sgemm {
    private Sgemm() {
    }

    static final int MR = MicroKernel.MR;
    static final int NR = MicroKernel.NR;
    /** Depth of a block: a B panel of KC x NR floats (32 KiB with AVX-512) stays in L1. */
    static final int KC = 256;
    /** Rows of an A block: MC x KC floats (96 KiB) stay in L2. */
    static final int MC = 16 * MR;
    /** Columns of a B block. */
    static final int NC = 16 * NR;
    /** Products smaller than this many flops run on the calling thread: waking workers costs more. */
    static final long PARALLEL_FLOPS = 1L << 20;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread packing buffers, grown on demand and kept for the thread's life. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];

        float[] a(int n) {
            if (a.length < n) {
                a = new float[n];
            }
            return a;
        }

        float[] b(int n) {
            if (b.length < n) {
                b = new float[n];
            }
            return b;
        }
    }

    /**
     * {@code C = epilogue(A x B)}, where C's element (i, j) is at {@code cOff + i * ldc + j} of
     * {@code c}, and the residual (may be null) has C's layout starting at {@code resOff}.
     */
    static void multiply(Parallel par, LeftOperand a, RightOperand b, MemorySegment c, long cOff, long ldc,
                         Epilogue ep, MemorySegment residual, long resOff) {
        int m = a.rows;
        int n = b.cols;
        int k = a.depth;
        if (b.depth != k) {
            throw new IllegalArgumentException("inner dimensions differ: " + k + " and " + b.depth);
        }
        if (m == 0 || n == 0) {
            return;
        }
        boolean epilogue = ep != null && (!ep.isIdentity() || residual != null);
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                c.asSlice((cOff + i * ldc) * 4, n * 4L).fill((byte) 0);
            }
            if (epilogue) {
                ep.apply(c, cOff, ldc, 0, m, 0, n, residual, resOff);
            }
            return;
        }
        int tilesM = (m + MR - 1) / MR;
        int tilesN = (n + NR - 1) / NR;
        double flops = 2.0 * m * n * k;
        int threads = flops < PARALLEL_FLOPS ? 1 : Math.max(1, par.threads());
        int[] grid = grid(threads, tilesM, tilesN);
        int gm = grid[0];
        int gn = grid[1];
        Epilogue e = epilogue ? ep : null;
        Parallel.RangeTask task = (s, end) -> {
            for (long t = s; t < end; t++) {
                int bi = (int) (t / gn);
                int bj = (int) (t % gn);
                int r0 = (int) ((long) tilesM * bi / gm) * MR;
                int r1 = Math.min(m, (int) ((long) tilesM * (bi + 1) / gm) * MR);
                int c0 = (int) ((long) tilesN * bj / gn) * NR;
                int c1 = Math.min(n, (int) ((long) tilesN * (bj + 1) / gn) * NR);
                if (r0 < r1 && c0 < c1) {
                    block(a, b, c, cOff, ldc, e, residual, resOff, r0, r1, c0, c1);
                }
            }
        };
        if (gm * gn == 1) {
            task.run(0, 1);
        } else {
            par.forRange((long) gm * gn, 1, task);
        }
    }

    /**
     * The grid {rows, cols} of blocks for {@code threads} workers that minimizes the tiles of
     * the largest block; ties go to more column blocks (whole B panels per worker).
     */
    static int[] grid(int threads, int tilesM, int tilesN) {
        int bestM = 1;
        int bestN = 1;
        long bestCost = Long.MAX_VALUE;
        for (int gn = 1; gn <= threads; gn++) {
            if (threads % gn != 0) {
                continue;
            }
            int gm = threads / gn;
            int em = Math.min(gm, tilesM);
            int en = Math.min(gn, tilesN);
            long cost = (long) ceilDiv(tilesM, em) * ceilDiv(tilesN, en);
            if (cost < bestCost || cost == bestCost && en > bestN) {
                bestCost = cost;
                bestM = em;
                bestN = en;
            }
        }
        return new int[] {bestM, bestN};
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Rows [r0, r1) x columns [c0, c1) of C, on the calling thread. */
    private static void block(LeftOperand a, RightOperand b, MemorySegment c, long cOff, long ldc, Epilogue ep,
                              MemorySegment residual, long resOff, int r0, int r1, int c0, int c1) {
        int m = a.rows;
        int n = b.cols;
        int k = a.depth;
        Scratch s = SCRATCH.get();
        float[] ap = a.packed();
        float[] bp = b.packed();
        // A single row packed per call runs the one-row kernel instead of a mostly-zero 6-row tile.
        boolean oneRow = m == 1 && ap == null;
        int width = oneRow ? 1 : MR;
        for (int jc = c0; jc < c1; jc += NC) {
            int nc = Math.min(NC, c1 - jc);
            int nPanels = ceilDiv(nc, NR);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean accumulate = pc > 0;
                boolean last = pc + kc == k;
                float[] bArr;
                int bBase;
                int bStride;
                if (bp != null) {
                    bArr = bp;
                    bBase = (jc / NR) * k * NR + pc * NR;
                    bStride = k * NR;
                } else {
                    bStride = kc * NR;
                    // A vector of slack: packers may write whole vectors past a panel's end.
                    bArr = s.b(nPanels * bStride + NR);
                    bBase = 0;
                    for (int jp = 0; jp < nPanels; jp++) {
                        b.pack(jc + jp * NR, pc, kc, bArr, jp * bStride);
                    }
                }
                for (int ic = r0; ic < r1; ic += MC) {
                    int mc = Math.min(MC, r1 - ic);
                    int mPanels = ceilDiv(mc, width);
                    float[] aArr;
                    int aBase;
                    int aStride;
                    if (ap != null) {
                        aArr = ap;
                        aBase = (ic / MR) * k * MR + pc * MR;
                        aStride = k * MR;
                    } else {
                        aStride = kc * width;
                        aArr = s.a(mPanels * aStride);
                        aBase = 0;
                        for (int ip = 0; ip < mPanels; ip++) {
                            a.pack(ic + ip * width, width, pc, kc, aArr, ip * aStride);
                        }
                    }
                    for (int jp = 0; jp < nPanels; jp++) {
                        int j = jc + jp * NR;
                        int cols = Math.min(NR, n - j);
                        int bo = bBase + jp * bStride;
                        for (int ip = 0; ip < mPanels; ip++) {
                            int i = ic + ip * width;
                            int rows = Math.min(width, m - i);
                            long co = cOff + i * ldc + j;
                            boolean full = rows == width && cols == NR;
                            float[] tile = full ? null : s.tile;
                            if (oneRow) {
                                MicroKernel.tile1(aArr, aBase + ip * aStride, bArr, bo, kc, c, co, accumulate, tile);
                            } else {
                                MicroKernel.tile6(aArr, aBase + ip * aStride, bArr, bo, kc, c, co, ldc, accumulate, tile);
                            }
                            if (!full) {
                                merge(s.tile, c, co, ldc, rows, cols, accumulate);
                            }
                        }
                    }
                    if (last && ep != null) {
                        // Once per block (at most MC x NC, still in L2): per tile, the calls cost
                        // more than the arithmetic when the depth is small.
                        int cols = Math.min(nc, n - jc);
                        ep.apply(c, cOff + ic * ldc + jc, ldc, ic, mc, jc, cols, residual, resOff + ic * ldc + jc);
                    }
                }
            }
        }
    }

    /** Moves the valid part of a partial tile into C. */
    private static void merge(float[] tile, MemorySegment c, long co, long ldc, int rows, int cols, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            long o = co + r * ldc;
            if (!accumulate) {
                MemorySegment.copy(tile, r * NR, c, Layouts.F32, o * 4, cols);
                continue;
            }
            for (int j = 0; j < cols; j++) {
                c.setAtIndex(Layouts.F32, o + j, c.getAtIndex(Layouts.F32, o + j) + tile[r * NR + j]);
            }
        }
    }
}

package dev.kiln.cpu.simd;

/**
 * The right factor B (K x N) of a product computed by {@link Sgemm}, as the micro-kernel reads
 * it: panels of {@link MicroKernel#NR} consecutive columns, each stored depth-major (for every
 * k, NR column values side by side, zero past the last column).
 */
abstract class RightOperand {
    /** Depth (K). */
    final int depth;
    /** Columns (N). */
    final int cols;

    RightOperand(int depth, int cols) {
        this.depth = depth;
        this.cols = cols;
    }

    /**
     * The panels packed once over the whole depth (panel q starts at {@code q * depth * NR}), or
     * {@code null} when this operand is packed per call.
     */
    float[] packed() {
        return null;
    }

    /**
     * Writes columns {@code [j0, j0 + NR)} over depth {@code [p0, p0 + kc)} into {@code dst}
     * from {@code off}: {@code dst[off + p * NR + j] = B[p0 + p][j0 + j]}, zero past N.
     */
    abstract void pack(int j0, int p0, int kc, float[] dst, int off);

    /** Packs every panel over the whole depth, for an operand that is constant (weights). */
    final float[] packAll() {
        int nr = MicroKernel.NR;
        int panels = (cols + nr - 1) / nr;
        float[] all = new float[Math.multiplyExact(Math.multiplyExact(panels, depth), nr)];
        for (int q = 0; q < panels; q++) {
            pack(q * nr, 0, depth, all, q * depth * nr);
        }
        return all;
    }

    /**
     * A right operand packed once ({@link #packAll}), e.g. MatMul weights at bind time; null when
     * the heap cannot hold the copy (the node then runs on the reference kernel).
     */
    static RightOperand prepacked(RightOperand source) {
        float[] data;
        try {
            data = source.packAll();
        } catch (OutOfMemoryError e) {
            return null;
        }
        return new RightOperand(source.depth, source.cols) {
            @Override
            float[] packed() {
                return data;
            }

            @Override
            void pack(int j0, int p0, int kc, float[] dst, int off) {
                int nr = MicroKernel.NR;
                System.arraycopy(data, (j0 / nr) * depth * nr + p0 * nr, dst, off, kc * nr);
            }
        };
    }
}

package dev.kiln.cpu.simd;

/**
 * The left factor A (M x K) of a product computed by {@link Sgemm}, as the micro-kernel reads
 * it: panels of {@code width} consecutive rows, each panel stored depth-major (for every k,
 * {@code width} row values side by side, zero past the last row).
 */
abstract class LeftOperand {
    /** Rows (M). */
    final int rows;
    /** Depth (K). */
    final int depth;

    LeftOperand(int rows, int depth) {
        this.rows = rows;
        this.depth = depth;
    }

    /**
     * The panels packed once over the whole depth, {@link MicroKernel#MR} rows each (panel q
     * starts at {@code q * depth * MR}), or {@code null} when this operand is packed per call.
     */
    float[] packed() {
        return null;
    }

    /**
     * Writes rows {@code [i0, i0 + width)} over depth {@code [p0, p0 + kc)} into {@code dst} from
     * {@code off}: {@code dst[off + p * width + r] = A[i0 + r][p0 + p]}, zero for rows past M.
     */
    abstract void pack(int i0, int width, int p0, int kc, float[] dst, int off);

    /** Packs every panel over the whole depth, for an operand that is constant (weights). */
    final float[] packAll() {
        int mr = MicroKernel.MR;
        int panels = (rows + mr - 1) / mr;
        float[] all = new float[Math.multiplyExact(Math.multiplyExact(panels, depth), mr)];
        for (int q = 0; q < panels; q++) {
            pack(q * mr, mr, 0, depth, all, q * depth * mr);
        }
        return all;
    }

    /**
     * A left operand packed once ({@link #packAll}), e.g. convolution weights at bind time; null
     * when the heap cannot hold the copy (the node then runs on the reference kernel, which reads
     * the weights in place).
     */
    static LeftOperand prepacked(LeftOperand source) {
        float[] data;
        try {
            data = source.packAll();
        } catch (OutOfMemoryError e) {
            return null;
        }
        return new LeftOperand(source.rows, source.depth) {
            @Override
            float[] packed() {
                return data;
            }

            @Override
            void pack(int i0, int width, int p0, int kc, float[] dst, int off) {
                int mr = MicroKernel.MR;
                for (int r = 0; r < width; r++) {
                    int i = i0 + r;
                    int base = (i / mr) * depth * mr + i % mr;
                    for (int p = 0; p < kc; p++) {
                        dst[off + p * width + r] = i < rows ? data[base + (p0 + p) * mr] : 0f;
                    }
                }
            }
        };
    }
}

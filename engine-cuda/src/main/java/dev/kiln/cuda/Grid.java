package dev.kiln.cuda;

/**
 * A launch geometry: blocks in the grid and threads per block.
 *
 * @param gx blocks along x
 * @param gy blocks along y
 * @param gz blocks along z
 * @param threads threads per block (along x; Kiln's kernels use one-dimensional blocks)
 */
public record Grid(int gx, int gy, int gz, int threads) {
    /** Most blocks along y and z the hardware allows. */
    public static final int MAX_YZ = 65535;
    /** Blocks a grid-stride kernel is given at most along x; they loop over the rest. */
    public static final int MAX_STRIDE_BLOCKS = 4096;

    public Grid {
        if (gx < 1 || gy < 1 || gz < 1 || gy > MAX_YZ || gz > MAX_YZ || threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("bad launch geometry " + gx + "x" + gy + "x" + gz + " of " + threads);
        }
    }

    /** Enough blocks of {@code threads} for a grid-stride loop over {@code n} elements. */
    public static Grid stride(long n, int threads) {
        return new Grid((int) Math.max(1, Math.min(MAX_STRIDE_BLOCKS, (n + threads - 1) / threads)), 1, 1, threads);
    }
}

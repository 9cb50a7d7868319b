package dev.kiln.graph;

/**
 * Limits a reader checks before it allocates, so that a hostile file cannot exhaust memory or
 * the stack.
 *
 * @param maxTensorBytes the largest single tensor accepted
 * @param maxTotalBytes the largest sum of constant tensors accepted
 * @param maxNesting the deepest subgraph nesting accepted
 */
public record ReadLimits(long maxTensorBytes, long maxTotalBytes, int maxNesting) {
    /** Defaults: 16 GiB per tensor and in all, 64 levels of nesting. */
    public static final ReadLimits DEFAULT = new ReadLimits(16L << 30, 16L << 30, 64);
}

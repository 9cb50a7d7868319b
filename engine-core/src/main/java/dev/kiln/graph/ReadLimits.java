package dev.kiln.graph;

import dev.kiln.Options;

/**
 * Limits a reader checks before it allocates, so that a hostile file cannot exhaust memory or
 * the stack.
 *
 * <p>Tensor data a reader uses in place (raw data memory-mapped from the model file or an
 * external data file) costs address space only; {@code maxTensorBytes} and {@code maxTotalBytes}
 * bound it. Data the reader must expand into new memory (a sparse tensor made dense, values
 * stored in the typed fields of a TensorProto) is bounded by {@code maxExpandedBytes} in all as
 * well, since a few bytes of file can ask for gigabytes there.
 *
 * @param maxTensorBytes the largest single tensor accepted
 * @param maxTotalBytes the largest sum of constant tensors accepted
 * @param maxNesting the deepest subgraph nesting accepted
 * @param maxExpandedBytes the most bytes a reader may allocate to expand tensors, in all
 */
public record ReadLimits(long maxTensorBytes, long maxTotalBytes, int maxNesting, long maxExpandedBytes) {
    /**
     * Defaults: 16 GiB per tensor and in all, 64 levels of nesting, and expansion bounded by
     * {@link Options#defaultMemoryBudget()}.
     */
    public static final ReadLimits DEFAULT = new ReadLimits(16L << 30, 16L << 30, 64);

    /** Limits whose expansion bound is {@link Options#defaultMemoryBudget()}. */
    public ReadLimits(long maxTensorBytes, long maxTotalBytes, int maxNesting) {
        this(maxTensorBytes, maxTotalBytes, maxNesting, Options.defaultMemoryBudget());
    }
}

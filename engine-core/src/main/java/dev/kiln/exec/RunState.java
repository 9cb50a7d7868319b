package dev.kiln.exec;

/**
 * What one run needs besides the plan: a buffer pool that keeps its buffers between runs, so a
 * warmed-up session allocates nothing. Run states are pooled by the session; one serves one
 * run at a time.
 */
final class RunState implements AutoCloseable {
    final BufferPool buffers;
    private final long budget;

    RunState(long memoryBudget) {
        this.buffers = new BufferPool(memoryBudget);
        this.budget = memoryBudget;
    }

    long budget() {
        return budget;
    }

    @Override
    public void close() {
        buffers.close();
    }
}

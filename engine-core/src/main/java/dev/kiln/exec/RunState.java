package dev.kiln.exec;

import dev.kiln.ResourceLimitException;
import dev.kiln.compile.Plan;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What one run of a plan needs besides the plan: the arena holding every buffer the plan placed
 * by liveness, and a pool for the rest (buffers of sizes known only at run time, subgraphs,
 * scratch) that keeps its buffers between runs. A warmed-up session allocates nothing. Run
 * states are pooled per plan; one serves one run at a time.
 */
final class RunState implements AutoCloseable {
    final Plan plan;
    final BufferPool buffers;
    final MemorySegment arena;
    private final Arena owner;
    private final long budget;

    RunState(Plan plan, long memoryBudget) {
        if (plan.arenaSize() > memoryBudget) {
            throw new ResourceLimitException("the run needs " + plan.arenaSize()
                    + " bytes of intermediate tensors, more than the session's memory budget of " + memoryBudget);
        }
        this.plan = plan;
        this.budget = memoryBudget;
        this.buffers = new BufferPool(memoryBudget - plan.arenaSize());
        this.owner = Arena.ofShared();
        this.arena = plan.arenaSize() == 0 ? MemorySegment.NULL : owner.allocate(plan.arenaSize(), 64);
    }

    long budget() {
        return budget;
    }

    @Override
    public void close() {
        buffers.close();
        owner.close();
    }
}

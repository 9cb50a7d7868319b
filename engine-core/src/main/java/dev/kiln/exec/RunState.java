package dev.kiln.exec;

import dev.kiln.compile.Plan;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What one run of a plan needs besides the plan: the arena holding every buffer the plan placed
 * by liveness, and a pool for the rest (buffers of sizes known only at run time, subgraphs,
 * scratch) that keeps its buffers between runs. A warmed-up session allocates nothing. Run
 * states are pooled per plan; one serves one run at a time. Their memory is reserved in the
 * session's {@link MemoryBudget} before it is allocated and given back when they close.
 */
final class RunState implements AutoCloseable {
    final Plan plan;
    final BufferPool buffers;
    final MemorySegment arena;
    final MemoryBudget budget;
    private final Arena owner;

    RunState(Plan plan, MemoryBudget budget) {
        budget.reserve(plan.arenaSize(), "the intermediate tensors of a run (their arena)");
        this.plan = plan;
        this.budget = budget;
        this.buffers = new BufferPool(budget);
        this.owner = Arena.ofShared();
        try {
            this.arena = plan.arenaSize() == 0 ? MemorySegment.NULL : owner.allocate(plan.arenaSize(), 64);
        } catch (RuntimeException | OutOfMemoryError e) {
            owner.close();
            budget.release(plan.arenaSize());
            throw e;
        }
    }

    @Override
    public void close() {
        buffers.close();
        owner.close();
        budget.release(plan.arenaSize());
    }
}

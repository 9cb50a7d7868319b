package dev.kiln.exec;

import dev.kiln.ResourceLimitException;
import dev.kiln.backend.DeviceQueue;
import dev.kiln.compile.DevicePlan;
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
    /** The device queue with its arena and staging memory, or {@code null} for host-only plans. */
    final DeviceQueue queue;
    private final Arena owner;
    private final long budget;

    RunState(Plan plan, long memoryBudget) {
        if (plan.arenaSize() > memoryBudget) {
            throw new ResourceLimitException("the run needs " + plan.arenaSize()
                    + " bytes of intermediate tensors, more than the session's memory budget of " + memoryBudget);
        }
        this.plan = plan;
        this.budget = memoryBudget;
        this.queue = openQueue(plan.device(), memoryBudget);
        this.buffers = new BufferPool(memoryBudget - plan.arenaSize());
        this.owner = Arena.ofShared();
        this.arena = plan.arenaSize() == 0 ? MemorySegment.NULL : owner.allocate(plan.arenaSize(), 64);
    }

    private static DeviceQueue openQueue(DevicePlan dp, long memoryBudget) {
        if (dp.runtime() == null) {
            return null;
        }
        if (dp.arenaSize() + dp.stagingSize() > memoryBudget) {
            throw new ResourceLimitException("the run needs " + dp.arenaSize() + " bytes of device memory and "
                    + dp.stagingSize() + " of staging, more than the session's memory budget of " + memoryBudget);
        }
        return dp.runtime().openQueue(dp.arenaSize(), dp.stagingSize());
    }

    long budget() {
        return budget;
    }

    @Override
    public void close() {
        if (queue != null) {
            queue.close();
        }
        buffers.close();
        owner.close();
    }
}

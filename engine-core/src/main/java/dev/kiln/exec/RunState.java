package dev.kiln.exec;

import dev.kiln.backend.DeviceQueue;
import dev.kiln.compile.DevicePlan;
import dev.kiln.compile.Plan;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What one run of a plan needs besides the plan: the arena holding every buffer the plan placed
 * by liveness, and a pool for the rest (buffers of sizes known only at run time, subgraphs,
 * scratch) that keeps its buffers between runs. A warmed-up session allocates nothing. Run
 * states are pooled per plan; one serves one run at a time. Their memory (the arena, and for a
 * device plan the device arena and staging memory) is reserved in the session's
 * {@link MemoryBudget} before it is allocated and given back when they close.
 */
final class RunState implements AutoCloseable {
    final Plan plan;
    final BufferPool buffers;
    final MemorySegment arena;
    /** The device queue with its arena and staging memory, or {@code null} for host-only plans. */
    final DeviceQueue queue;
    final MemoryBudget budget;
    private final Arena owner;
    private final long reserved;

    RunState(Plan plan, MemoryBudget budget) {
        DevicePlan dp = plan.device();
        long device = dp.runtime() == null ? 0 : Math.addExact(dp.arenaSize(), dp.stagingSize());
        long bytes = Math.addExact(plan.arenaSize(), device);
        budget.reserve(bytes, "the intermediate tensors of a run (their arena"
                + (device > 0 ? ", device memory and staging)" : ")"));
        Arena own = Arena.ofShared();
        DeviceQueue q = null;
        MemorySegment a;
        try {
            q = dp.runtime() == null ? null : dp.runtime().openQueue(dp.arenaSize(), dp.stagingSize());
            a = plan.arenaSize() == 0 ? MemorySegment.NULL : own.allocate(plan.arenaSize(), 64);
        } catch (RuntimeException | OutOfMemoryError e) {
            if (q != null) {
                q.close();
            }
            own.close();
            budget.release(bytes);
            throw e;
        }
        this.plan = plan;
        this.budget = budget;
        this.reserved = bytes;
        this.owner = own;
        this.queue = q;
        this.arena = a;
        this.buffers = new BufferPool(budget);
    }

    @Override
    public void close() {
        if (queue != null) {
            queue.close();
        }
        buffers.close();
        owner.close();
        budget.release(reserved);
    }
}

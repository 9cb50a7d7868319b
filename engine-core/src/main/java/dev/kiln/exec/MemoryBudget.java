package dev.kiln.exec;

import dev.kiln.ResourceLimitException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of tensor memory one session holds (the arenas and pooled buffers of its run
 * states), against the session's budget. Every reservation happens before the memory is
 * allocated. When a reservation does not fit, the session is first asked to give back memory
 * it holds but does not use (idle run states), then the reservation is tried once more.
 * Thread-safe: the runs in flight share it.
 */
final class MemoryBudget {
    private final long limit;
    private final AtomicLong held = new AtomicLong();
    private final Runnable reclaim;

    /**
     * @param limit the budget in bytes
     * @param reclaim frees memory the session holds but does not use; called when a reservation fails
     */
    MemoryBudget(long limit, Runnable reclaim) {
        this.limit = limit;
        this.reclaim = reclaim;
    }

    /** Reserves {@code bytes} if they fit, without reclaiming. */
    boolean tryReserve(long bytes) {
        if (bytes < 0) {
            return false;
        }
        long h;
        do {
            h = held.get();
            if (bytes > limit - h) {
                return false;
            }
        } while (!held.compareAndSet(h, h + bytes));
        return true;
    }

    /**
     * Reserves {@code bytes}, reclaiming idle memory first if needed.
     *
     * @param what the tensor or purpose, for the message
     * @throws ResourceLimitException when the bytes do not fit even then
     */
    void reserve(long bytes, String what) {
        if (tryReserve(bytes)) {
            return;
        }
        reclaim.run();
        if (!tryReserve(bytes)) {
            throw exceeded(bytes, what);
        }
    }

    /** Gives back bytes reserved earlier. */
    void release(long bytes) {
        held.addAndGet(-bytes);
    }

    /**
     * Checks that {@code bytes} of memory the garbage collector frees (a run's outputs, string
     * tensors, sequences) fit in what is not reserved, without reserving them.
     */
    void check(long bytes, String what) {
        if (bytes < 0 || bytes > limit - held.get()) {
            reclaim.run();
            if (bytes < 0 || bytes > limit - held.get()) {
                throw exceeded(bytes, what);
            }
        }
    }

    private ResourceLimitException exceeded(long bytes, String what) {
        return new ResourceLimitException((bytes < 0 ? "a size beyond 2^63 bytes" : bytes + " bytes") + " for " + what
                + " would exceed the session's memory budget of " + limit + " bytes (" + held.get() + " held)");
    }

    /** The budget in bytes. */
    long limit() {
        return limit;
    }

    /** Bytes reserved now. */
    long held() {
        return held.get();
    }
}

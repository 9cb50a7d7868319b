package dev.kiln.exec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Recycles the intermediate buffers of one run state. Sizes are rounded to classes of one
 * eighth of a power of two, so buffers are reused across nearby shapes while at most 12.5% is
 * wasted. Each new buffer is reserved in the session's {@link MemoryBudget} before it is
 * allocated, in an arena of its own so that idle buffers can be freed one by one when the
 * budget runs short ({@link #trim}). Not thread-safe: a run state serves one run at a time.
 */
final class BufferPool implements AutoCloseable {
    private final MemoryBudget budget;
    private final Map<Long, ArrayDeque<MemorySegment>> free = new HashMap<>();
    private final Map<MemorySegment, Arena> owners = new IdentityHashMap<>();

    BufferPool(MemoryBudget budget) {
        this.budget = budget;
    }

    /** A buffer of at least {@code bytes}; its contents are whatever it last held. */
    MemorySegment acquire(long bytes, String what) {
        long size = bytes < 0 ? -1 : sizeClass(bytes);
        ArrayDeque<MemorySegment> q = size < 0 ? null : free.get(size);
        MemorySegment s = q == null ? null : q.poll();
        if (s == null) {
            if (!budget.tryReserve(size)) {
                trim();
                budget.reserve(size, what);
            }
            Arena arena = Arena.ofShared();
            try {
                s = arena.allocate(size, 64);
            } catch (RuntimeException | OutOfMemoryError e) {
                arena.close();
                budget.release(size);
                throw e;
            }
            owners.put(s, arena);
        }
        return s;
    }

    /** Returns a buffer obtained from {@link #acquire}. */
    void release(MemorySegment s) {
        free.computeIfAbsent(s.byteSize(), k -> new ArrayDeque<>()).push(s);
    }

    /** Frees every idle buffer and gives its bytes back to the budget. */
    void trim() {
        for (ArrayDeque<MemorySegment> q : free.values()) {
            MemorySegment s;
            while ((s = q.poll()) != null) {
                owners.remove(s).close();
                budget.release(s.byteSize());
            }
        }
    }

    static long sizeClass(long bytes) {
        if (bytes <= 64) {
            return 64;
        }
        int shift = 63 - Long.numberOfLeadingZeros(bytes - 1);
        long step = Math.max(64, 1L << Math.max(0, shift - 3));
        long rounded = (bytes + step - 1) / step * step;
        return rounded < 0 ? -1 : rounded;
    }

    @Override
    public void close() {
        for (Map.Entry<MemorySegment, Arena> e : owners.entrySet()) {
            e.getValue().close();
            budget.release(e.getKey().byteSize());
        }
        owners.clear();
        free.clear();
    }
}

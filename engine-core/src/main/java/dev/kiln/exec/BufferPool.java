package dev.kiln.exec;

import dev.kiln.ResourceLimitException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Recycles the intermediate buffers of one run state. Sizes are rounded to classes of one
 * eighth of a power of two, so buffers are reused across nearby shapes while at most 12.5% is
 * wasted. Every buffer comes from the pool's own arena, freed when the pool is closed.
 * Not thread-safe: a run state serves one run at a time.
 */
final class BufferPool implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Map<Long, ArrayDeque<MemorySegment>> free = new HashMap<>();
    private final long budget;
    private long inUse;
    private long peak;

    BufferPool(long budget) {
        this.budget = budget;
    }

    /** A buffer of at least {@code bytes}; its contents are whatever it last held. */
    MemorySegment acquire(long bytes, String what) {
        long size = sizeClass(bytes);
        if (inUse + size > budget || size < 0) {
            throw new ResourceLimitException("allocating " + bytes + " bytes for " + what
                    + " would exceed the session's memory budget of " + budget + " bytes ("
                    + inUse + " in use)");
        }
        ArrayDeque<MemorySegment> q = free.get(size);
        MemorySegment s = q == null ? null : q.poll();
        if (s == null) {
            s = arena.allocate(size, 64);
        }
        inUse += size;
        peak = Math.max(peak, inUse);
        return s;
    }

    /** Returns a buffer obtained from {@link #acquire}. */
    void release(MemorySegment s) {
        inUse -= s.byteSize();
        free.computeIfAbsent(s.byteSize(), k -> new ArrayDeque<>()).push(s);
    }

    /** Most bytes in use at once since creation. */
    long peak() {
        return peak;
    }

    static long sizeClass(long bytes) {
        if (bytes <= 64) {
            return 64;
        }
        int shift = 63 - Long.numberOfLeadingZeros(bytes - 1);
        long step = Math.max(64, 1L << Math.max(0, shift - 3));
        return (bytes + step - 1) / step * step;
    }

    @Override
    public void close() {
        arena.close();
    }
}

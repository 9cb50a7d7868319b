package dev.kiln.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link CudaDriver} whose "device" memory is native host memory and whose kernels run in the
 * {@link CudaEmulator}. Streams are as lazy as a GPU may be: copies and launches happen at
 * {@link #synchronize}, in order, so host code that forgets to wait sees stale data. Every
 * pointer argument of a launch must lie in a live allocation, so a wrong address fails the
 * test instead of the JVM.
 */
final class EmulatedDriver implements CudaDriver {
    private final CudaEmulator emulator;
    private final TreeMap<Long, Arena> allocations = new TreeMap<>();
    private final TreeMap<Long, Long> sizes = new TreeMap<>();
    private final Map<Long, List<Runnable>> streams = new ConcurrentHashMap<>();
    private final AtomicLong nextStream = new AtomicLong(1);
    final java.util.concurrent.atomic.AtomicInteger launches = new java.util.concurrent.atomic.AtomicInteger();
    boolean closed;

    EmulatedDriver(CudaEmulator emulator) {
        this.emulator = emulator;
    }

    @Override
    public String describe() {
        return "the CUDA kernel emulator";
    }

    @Override
    public synchronized long malloc(long bytes) {
        Arena a = Arena.ofShared();
        long address = a.allocate(Math.max(bytes, 1), 256).address();
        allocations.put(address, a);
        sizes.put(address, Math.max(bytes, 1));
        return address;
    }

    @Override
    public synchronized void free(long address) {
        Arena a = allocations.remove(address);
        sizes.remove(address);
        if (a == null) {
            throw new IllegalStateException("freeing " + Long.toHexString(address) + ", which was not allocated");
        }
        a.close();
    }

    private synchronized MemorySegment at(long address, long bytes) {
        Map.Entry<Long, Long> e = sizes.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue()) {
            throw new IllegalStateException("device range " + Long.toHexString(address) + "+" + bytes + " is not allocated");
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        MemorySegment.copy(src, 0, at(dst, bytes), 0, bytes);
    }

    @Override
    public Pinned allocatePinned(long bytes) {
        Arena a = Arena.ofShared();
        return new Pinned(a.allocate(bytes, 64), a);
    }

    @Override
    public void freePinned(Pinned p) {
        ((Arena) p.handle()).close();
    }

    @Override
    public long createStream() {
        long id = nextStream.getAndIncrement();
        streams.put(id, new ArrayList<>());
        return id;
    }

    @Override
    public void destroyStream(long stream) {
        if (streams.remove(stream) == null) {
            throw new IllegalStateException("no such stream");
        }
    }

    private void enqueue(long stream, Runnable r) {
        List<Runnable> q = streams.get(stream);
        synchronized (q) {
            q.add(r);
        }
    }

    @Override
    public void uploadAsync(Pinned src, long srcOffset, long dst, long bytes, long stream) {
        MemorySegment d = at(dst, bytes);
        enqueue(stream, () -> MemorySegment.copy(src.memory(), srcOffset, d, 0, bytes));
    }

    @Override
    public void downloadAsync(long src, Pinned dst, long dstOffset, long bytes, long stream) {
        MemorySegment s = at(src, bytes);
        enqueue(stream, () -> MemorySegment.copy(s, 0, dst.memory(), dstOffset, bytes));
    }

    @Override
    public void launch(String function, Grid grid, LaunchArgs args, long stream) {
        if (!emulator.has(function)) {
            throw new IllegalStateException("no kernel " + function);
        }
        for (int i = 0; i < args.size(); i++) {
            if (args.kind(i) == LaunchArgs.Kind.PTR && (Long) args.value(i) != 0) {
                at((Long) args.value(i), 1);
            }
        }
        enqueue(stream, () -> {
            launches.incrementAndGet();
            emulator.launch(function, grid, args);
        });
    }

    @Override
    public void synchronize(long stream) {
        List<Runnable> q = streams.get(stream);
        List<Runnable> work;
        synchronized (q) {
            work = new ArrayList<>(q);
            q.clear();
        }
        for (Runnable r : work) {
            r.run();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (Arena a : allocations.values()) {
            a.close();
        }
        allocations.clear();
        sizes.clear();
    }

    /** Bytes still allocated (leak checks). */
    synchronized int liveAllocations() {
        return allocations.size();
    }
}

package dev.kiln.metal;

import dev.kiln.backend.Device;
import dev.kiln.backend.DeviceQueue;
import dev.kiln.backend.DeviceRuntime;
import dev.kiln.metal.ffm.objc_h;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One session's use of the GPU on unified memory: device addresses are host addresses inside
 * MTLBuffers. Each run state's queue has an arena and a staging buffer; constants (weights)
 * are wrapped where they lie when {@link SharedMemory} allows and copied once otherwise. An
 * address is turned back into (buffer, offset) to bind it to a kernel.
 */
final class MetalRuntime implements DeviceRuntime {
    private final Device device;
    private final MetalDevice metal;
    private final long pageSize = objc_h.getpagesize();
    private final Map<Tensor, Long> constants = new IdentityHashMap<>();
    private final ConcurrentSkipListMap<Long, MetalBuffer> buffers = new ConcurrentSkipListMap<>();
    private final List<MetalBuffer> owned = new ArrayList<>();
    private final List<MetalQueue> queues = new ArrayList<>();
    private int wrapped;
    private boolean closed;

    MetalRuntime(Device device, MetalDevice metal) {
        this.device = device;
        this.metal = metal;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public boolean unifiedMemory() {
        return true;
    }

    MetalDevice metal() {
        return metal;
    }

    @Override
    public synchronized DeviceQueue openQueue(long arenaBytes, long stagingBytes) {
        checkOpen();
        MetalQueue q = new MetalQueue(this, arenaBytes, stagingBytes);
        queues.add(q);
        return q;
    }

    /** Makes a buffer whose addresses kernels may be given. */
    MetalBuffer allocate(long bytes) {
        MetalBuffer b = metal.newBuffer(bytes);
        buffers.put(b.address(), b);
        return b;
    }

    /** Forgets and releases a buffer from {@link #allocate}. */
    void free(MetalBuffer b) {
        buffers.remove(b.address(), b);
        b.close();
    }

    @Override
    public synchronized long constant(Tensor t) {
        checkOpen();
        Long at = constants.get(t);
        if (at == null) {
            at = place(t);
            constants.put(t, at);
        }
        return at;
    }

    private long place(Tensor t) {
        MemorySegment data = t.data();
        long at = data.address();
        if (t.byteSize() > 0) {
            Map.Entry<Long, MetalBuffer> e = buffers.floorEntry(at);
            if (e != null && e.getValue().holds(at, t.byteSize())) {
                return at;
            }
        }
        long[] pages = SharedMemory.pages(data, Math.max(1, t.dtype().byteSize(1)), pageSize);
        if (pages != null && !buffers.containsKey(pages[0])) {
            MetalBuffer b = metal.wrap(MemorySegment.ofAddress(pages[0]).reinterpret(pages[1]));
            if (b != null) {
                buffers.put(b.address(), b);
                owned.add(b);
                wrapped++;
                return at;
            }
        }
        MetalBuffer copy = allocate(t.byteSize());
        owned.add(copy);
        MemorySegment.copy(data, 0, copy.contents(), 0, t.byteSize());
        return copy.address();
    }

    /** Constants shared with the GPU without a copy so far. */
    synchronized int wrappedConstants() {
        return wrapped;
    }

    /**
     * The buffer holding {@code [address, address + bytes)}.
     *
     * @throws IllegalArgumentException when no buffer of this session holds it
     */
    MetalBuffer bufferAt(long address, long bytes) {
        Map.Entry<Long, MetalBuffer> e = buffers.floorEntry(address);
        if (e == null || !e.getValue().holds(address, bytes)) {
            throw new IllegalArgumentException("address " + Long.toHexString(address) + " (" + bytes
                    + " bytes) is in no Metal buffer of this session");
        }
        return e.getValue();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the Metal backend of this session is closed");
        }
    }

    /** Closes every queue, releases every buffer, then the device. Idempotent. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (MetalQueue q : queues) {
                q.close();
            }
            for (MetalBuffer b : owned) {
                buffers.remove(b.address(), b);
                b.close();
            }
        } finally {
            queues.clear();
            owned.clear();
            constants.clear();
            metal.close();
        }
    }
}

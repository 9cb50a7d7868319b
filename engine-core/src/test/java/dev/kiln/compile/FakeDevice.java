package dev.kiln.compile;

import dev.kiln.InvalidInputException;
import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.DeviceQueue;
import dev.kiln.backend.DeviceRuntime;
import dev.kiln.backend.DeviceStep;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A device in Java for testing the host side of device execution: its memory is a heap the
 * host cannot address directly (addresses are offsets from a fake base), and its queues are
 * as lazy as a device may be: nothing enqueued happens before {@link DeviceQueue#synchronize()}.
 * A missing synchronization, a staging slot reused too early or an arena overlap therefore
 * shows up as a wrong result. Kernels (domain {@code test}): {@code Add}, {@code Scale} (through
 * its scratch), {@code View}, and {@code Fail} (fails on the device, seen at the next sync).
 *
 * <p>A unified fake ({@link #unified()}) shares memory with the host, as Apple silicon does:
 * addresses are host addresses, constants are used in place, and its queues' staging buffers
 * are device memory. It still runs kernels only at synchronize.
 */
final class FakeDevice implements Backend {
    static final Device DEVICE = new Device("fake", 0, false);
    private static final long BASE = 1L << 40;
    private static final Set<String> OPS = Set.of("Add", "Scale", "View", "Fail");

    private final String unavailable;
    private final boolean unified;
    private final MemorySegment heap = Arena.ofAuto().allocate(1 << 20, 64);
    private final List<MemorySegment> shared = Collections.synchronizedList(new ArrayList<>());
    private final Map<Tensor, Long> constants = Collections.synchronizedMap(new IdentityHashMap<>());
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private long top;
    final AtomicInteger queuesOpened = new AtomicInteger();
    final AtomicInteger queuesClosed = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();

    private FakeDevice(String unavailable, boolean unified) {
        this.unavailable = unavailable;
        this.unified = unified;
    }

    FakeDevice(String unavailable) {
        this(unavailable, false);
    }

    FakeDevice() {
        this(null, false);
    }

    /** A device that shares memory with the host. */
    static FakeDevice unified() {
        return new FakeDevice(null, true);
    }

    /** Everything the device did, in order: uploads, kernels, downloads. */
    List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    int constantUploads() {
        return constants.size();
    }

    @Override
    public String name() {
        return "fake-gpu";
    }

    @Override
    public Device device() {
        return DEVICE;
    }

    @Override
    public int priority() {
        return -10;
    }

    @Override
    public String unavailableReason() {
        return unavailable;
    }

    @Override
    public boolean supports(String domain, String opType) {
        return domain.equals("test") && OPS.contains(opType);
    }

    @Override
    public void close() {
        closed.incrementAndGet();
    }

    @Override
    public DeviceRuntime runtime() {
        return runtime;
    }

    private synchronized long alloc(long bytes) {
        long at = top;
        top += (bytes + 63) / 64 * 64;
        if (top > heap.byteSize()) {
            throw new IllegalStateException("fake device out of memory");
        }
        return base() + at;
    }

    private long base() {
        return unified ? heap.address() : BASE;
    }

    private MemorySegment at(long address, long bytes) {
        if (unified) {
            synchronized (shared) {
                for (MemorySegment m : shared) {
                    if (address >= m.address() && address + bytes <= m.address() + m.byteSize()) {
                        return m.asSlice(address - m.address(), bytes);
                    }
                }
            }
        }
        long base = base();
        if (address < base || address - base + bytes > top) {
            throw new IllegalStateException("fake device: address " + Long.toHexString(address) + " is not allocated");
        }
        return heap.asSlice(address - base, bytes);
    }

    private final DeviceRuntime runtime = new DeviceRuntime() {
        @Override
        public Device device() {
            return DEVICE;
        }

        @Override
        public DeviceQueue openQueue(long arenaBytes, long stagingBytes) {
            queuesOpened.incrementAndGet();
            MemorySegment staging = Arena.ofShared().allocate(Math.max(stagingBytes, 1), 64);
            if (unified) {
                shared.add(staging);
            }
            return new Queue(alloc(Math.max(arenaBytes, 1)), arenaBytes, staging);
        }

        @Override
        public boolean unifiedMemory() {
            return unified;
        }

        @Override
        public long constant(Tensor t) {
            synchronized (constants) {
                return constants.computeIfAbsent(t, k -> {
                    if (unified) {
                        shared.add(k.data());
                        return k.data().address();
                    }
                    long a = alloc(k.byteSize());
                    MemorySegment.copy(k.data(), 0, at(a, k.byteSize()), 0, k.byteSize());
                    return a;
                });
            }
        }
    };

    /** A queue whose work happens at synchronize. */
    final class Queue implements DeviceQueue {
        private final long arena;
        private final long arenaBytes;
        private final MemorySegment staging;
        private final List<Runnable> pending = new ArrayList<>();
        private boolean closedQueue;

        Queue(long arena, long arenaBytes, MemorySegment staging) {
            this.arena = arena;
            this.arenaBytes = arenaBytes;
            this.staging = staging;
        }

        @Override
        public long arena() {
            return arena;
        }

        @Override
        public MemorySegment staging() {
            return staging;
        }

        void enqueue(String what, Runnable r) {
            pending.add(() -> {
                log.add(what);
                r.run();
            });
        }

        private void checkArena(long address, long bytes) {
            if (address >= arena && address + bytes > arena + arenaBytes) {
                throw new IllegalStateException("write past the arena");
            }
        }

        @Override
        public void upload(long stagingOffset, long deviceAddress, long bytes) {
            checkArena(deviceAddress, bytes);
            enqueue("upload", () -> MemorySegment.copy(staging, stagingOffset, at(deviceAddress, bytes), 0, bytes));
        }

        @Override
        public void download(long deviceAddress, long stagingOffset, long bytes) {
            enqueue("download", () -> MemorySegment.copy(at(deviceAddress, bytes), 0, staging, stagingOffset, bytes));
        }

        @Override
        public void synchronize() {
            List<Runnable> work = new ArrayList<>(pending);
            pending.clear();
            for (Runnable r : work) {
                r.run();
            }
        }

        @Override
        public void close() {
            if (!closedQueue) {
                closedQueue = true;
                synchronize();
                queuesClosed.incrementAndGet();
            }
        }
    }

    @Override
    public Kernel bind(BindContext ctx) {
        ValueType.TensorType out = (ValueType.TensorType) ctx.outputType(0);
        long n = out.shape().toShape().size();
        return switch (ctx.node().opType()) {
            case "Add" -> k -> {
                DeviceStep d = k.device();
                long a = d.input(0);
                long b = d.input(1);
                long y = d.output(0);
                ((Queue) d.queue()).enqueue("Add", () -> {
                    for (long i = 0; i < n; i++) {
                        float v = at(a, 4 * n).getAtIndex(ValueLayout.JAVA_FLOAT, i)
                                + at(b, 4 * n).getAtIndex(ValueLayout.JAVA_FLOAT, i);
                        at(y, 4 * n).setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
                    }
                });
            };
            case "Scale" -> new Kernel() {
                private final long factor = ctx.node().attrInt("factor", 1);

                @Override
                public void run(KernelContext k) {
                    DeviceStep d = k.device();
                    long x = d.input(0);
                    long y = d.output(0);
                    long tmp = d.scratch();
                    ((Queue) d.queue()).enqueue("Scale", () -> {
                        for (long i = 0; i < n; i++) {
                            at(tmp, 4 * n).setAtIndex(ValueLayout.JAVA_FLOAT, i,
                                    at(x, 4 * n).getAtIndex(ValueLayout.JAVA_FLOAT, i) * factor);
                        }
                        MemorySegment.copy(at(tmp, 4 * n), 0, at(y, 4 * n), 0, 4 * n);
                    });
                }

                @Override
                public long deviceScratchBytes() {
                    return 4 * n;
                }
            };
            case "View" -> new Kernel() {
                @Override
                public void run(KernelContext k) {
                    if (k.device().output(0) != k.device().input(0)) {
                        throw new IllegalStateException("a view must share its input's device memory");
                    }
                }

                @Override
                public int viewOf(int output) {
                    return 0;
                }
            };
            case "Fail" -> k -> ((Queue) k.device().queue()).enqueue("Fail", () -> {
                throw new InvalidInputException("the fake device failed");
            });
            default -> null;
        };
    }
}

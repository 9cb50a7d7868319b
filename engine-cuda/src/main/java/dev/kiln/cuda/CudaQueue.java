package dev.kiln.cuda;

import dev.kiln.backend.DeviceQueue;
import java.lang.foreign.MemorySegment;

/** A run state's CUDA stream, device arena and pinned staging buffer. */
public final class CudaQueue implements DeviceQueue {
    private final CudaDriver driver;
    private final CudaRuntime runtime;
    private final long stream;
    private final long arena;
    private final CudaDriver.Pinned staging;
    private boolean closed;

    CudaQueue(CudaRuntime runtime, long arenaBytes, long stagingBytes) {
        this.runtime = runtime;
        this.driver = runtime.driver();
        long a = 0;
        CudaDriver.Pinned p = null;
        long s = 0;
        try {
            a = arenaBytes > 0 ? driver.malloc(arenaBytes) : 0;
            p = driver.allocatePinned(Math.max(stagingBytes, 64));
            s = driver.createStream();
        } catch (RuntimeException e) {
            if (p != null) {
                driver.freePinned(p);
            }
            if (a != 0) {
                driver.free(a);
            }
            throw e;
        }
        this.arena = a;
        this.staging = p;
        this.stream = s;
    }

    @Override
    public long arena() {
        return arena;
    }

    @Override
    public MemorySegment staging() {
        return staging.memory();
    }

    @Override
    public void upload(long stagingOffset, long deviceAddress, long bytes) {
        if (bytes > 0) {
            driver.uploadAsync(staging, stagingOffset, deviceAddress, bytes, stream);
        }
    }

    @Override
    public void download(long deviceAddress, long stagingOffset, long bytes) {
        if (bytes > 0) {
            driver.downloadAsync(deviceAddress, staging, stagingOffset, bytes, stream);
        }
    }

    /** The device address of a tensor a kernel made at bind time (uploaded once per session, like a weight). */
    public long constant(dev.kiln.tensor.Tensor t) {
        return runtime.constant(t);
    }

    /** Enqueues a kernel on this queue's stream. */
    public void launch(String function, Grid grid, LaunchArgs args) {
        driver.launch(function, grid, args, stream);
    }

    @Override
    public void synchronize() {
        driver.synchronize(stream);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            driver.synchronize(stream);
        } finally {
            driver.destroyStream(stream);
            driver.freePinned(staging);
            if (arena != 0) {
                driver.free(arena);
            }
        }
    }
}

package dev.kiln.cuda;

import dev.kiln.backend.Device;
import dev.kiln.backend.DeviceQueue;
import dev.kiln.backend.DeviceRuntime;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** One session's use of a CUDA device: its driver, its queues, and the constants uploaded so far. */
final class CudaRuntime implements DeviceRuntime {
    private final Device device;
    private final CudaDriver driver;
    private final Map<Tensor, Long> constants = new IdentityHashMap<>();
    private final List<CudaQueue> queues = new ArrayList<>();
    private boolean closed;

    CudaRuntime(Device device, CudaDriver driver) {
        this.device = device;
        this.driver = driver;
    }

    @Override
    public Device device() {
        return device;
    }

    CudaDriver driver() {
        return driver;
    }

    @Override
    public synchronized DeviceQueue openQueue(long arenaBytes, long stagingBytes) {
        checkOpen();
        CudaQueue q = new CudaQueue(this, arenaBytes, stagingBytes);
        queues.add(q);
        return q;
    }

    @Override
    public synchronized long constant(Tensor t) {
        checkOpen();
        Long at = constants.get(t);
        if (at == null) {
            at = driver.malloc(Math.max(t.byteSize(), 1));
            driver.copyToDevice(at, t.data(), t.byteSize());
            constants.put(t, at);
        }
        return at;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA backend of this session is closed");
        }
    }

    /** Frees every queue and constant, then the driver's context. Idempotent. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (CudaQueue q : queues) {
                q.close();
            }
            for (long at : constants.values()) {
                driver.free(at);
            }
        } finally {
            queues.clear();
            constants.clear();
            driver.close();
        }
    }
}

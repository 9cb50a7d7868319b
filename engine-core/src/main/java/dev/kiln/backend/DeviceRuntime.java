package dev.kiln.backend;

import dev.kiln.tensor.Tensor;

/**
 * The memory and ordering services of a device whose memory the host cannot address (a GPU),
 * offered by its backend through {@link Backend#runtime()}. The executor uses it to give each
 * run state its own queue and device arena, and to find constants on the device.
 */
public interface DeviceRuntime {
    /** The device. */
    Device device();

    /**
     * Opens an in-order queue (a stream) with its own device arena of {@code arenaBytes} and a
     * pinned host staging buffer of {@code stagingBytes}, for one run at a time.
     *
     * @throws dev.kiln.ResourceLimitException when the device cannot hold the arena
     */
    DeviceQueue openQueue(long arenaBytes, long stagingBytes);

    /**
     * The device address of a copy of a constant tensor (a weight), uploaded on first use and
     * kept until the backend closes. Thread-safe; the same tensor always gives the same address.
     */
    long constant(Tensor t);

    /**
     * True when the host and the device share memory (Apple silicon): device addresses are host
     * addresses, and each queue's {@linkplain DeviceQueue#staging() staging buffer} is device
     * memory too. The compiler then places every value that crosses in its staging slot instead
     * of the device arena, so a transfer is one host copy (into the slot before the first
     * device step reads it, or out of it after the queue synchronized) and the queue is asked
     * for no upload or download.
     */
    default boolean unifiedMemory() {
        return false;
    }
}

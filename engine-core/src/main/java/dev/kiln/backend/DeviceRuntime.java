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
}

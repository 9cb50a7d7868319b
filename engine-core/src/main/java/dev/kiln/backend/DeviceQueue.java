package dev.kiln.backend;

import java.lang.foreign.MemorySegment;

/**
 * One in-order queue of work on a device (a CUDA stream), with the device arena and the pinned
 * host staging buffer of one run state. Copies and kernels run in the order they are enqueued;
 * the host sees their effects only after {@link #synchronize()}. Used by one run at a time.
 */
public interface DeviceQueue extends AutoCloseable {
    /** The device address of the start of this queue's arena. */
    long arena();

    /** The pinned host staging buffer; transfers go through it. */
    MemorySegment staging();

    /** Enqueues a copy of {@code bytes} from the staging buffer at {@code stagingOffset} to the device. */
    void upload(long stagingOffset, long deviceAddress, long bytes);

    /** Enqueues a copy of {@code bytes} from the device to the staging buffer at {@code stagingOffset}. */
    void download(long deviceAddress, long stagingOffset, long bytes);

    /**
     * Waits until everything enqueued so far has finished.
     *
     * @throws dev.kiln.KilnException when enqueued work failed on the device
     */
    void synchronize();

    /** Waits for the queue and frees its arena and staging buffer. Idempotent. */
    @Override
    void close();
}

package dev.kiln.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The few driver operations the CUDA backend uses, so that the same host code runs on a GPU
 * (through JCuda, {@link JCudaDevice}) or on the kernel emulator the tests use. Addresses of
 * device memory are plain {@code long}s; work on a stream is asynchronous until
 * {@link #synchronize}. Implementations turn driver errors into {@link dev.kiln.KilnException}s.
 */
public interface CudaDriver extends AutoCloseable {
    /** What runs the kernels, for messages (GPU name and driver version, or the emulator). */
    String describe();

    /** Allocates device memory. */
    long malloc(long bytes);

    /** Frees memory from {@link #malloc}. */
    void free(long address);

    /** Copies host memory to the device and waits (used once per constant). */
    void copyToDevice(long dst, MemorySegment src, long bytes);

    /** Allocates pinned (page-locked) host memory, which async copies need. */
    Pinned allocatePinned(long bytes);

    /** Frees memory from {@link #allocatePinned}. */
    void freePinned(Pinned p);

    /** Creates a stream; returns its handle. */
    long createStream();

    /** Destroys a stream after its work finished. */
    void destroyStream(long stream);

    /** Enqueues a copy from pinned memory to the device. */
    void uploadAsync(Pinned src, long srcOffset, long dst, long bytes, long stream);

    /** Enqueues a copy from the device to pinned memory. */
    void downloadAsync(long src, Pinned dst, long dstOffset, long bytes, long stream);

    /** Enqueues a kernel launch. */
    void launch(String function, Grid grid, LaunchArgs args, long stream);

    /** Waits for the stream's work; reports errors of kernels that ran on it. */
    void synchronize(long stream);

    /** Releases the context. */
    @Override
    void close();

    /** Pinned host memory: the segment the host reads and writes, and the driver's handle. */
    record Pinned(MemorySegment memory, Object handle) {
    }
}

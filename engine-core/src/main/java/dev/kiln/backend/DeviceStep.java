package dev.kiln.backend;

/**
 * What a kernel of a device backend sees while it runs ({@link KernelContext#device()}): device
 * addresses instead of tensors. Shapes and types are static for device steps, so the kernel
 * knew them when it was bound; here it only enqueues work on the queue.
 */
public interface DeviceStep {
    /** The run's queue; the backend casts it to its own type to launch kernels. */
    DeviceQueue queue();

    /** The device address of input {@code i} (constants included), or 0 when it is absent. */
    long input(int i);

    /** The device address output {@code i} must be written to, or 0 when the output is unused. */
    long output(int i);

    /** The device address of this step's scratch ({@link Kernel#deviceScratchBytes()} bytes). */
    long scratch();
}

package dev.kiln.metal.kernels;

import dev.kiln.backend.DeviceStep;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.metal.MetalQueue;

/**
 * A kernel whose dispatch geometry and parameters were computed at bind time (shapes are
 * static on the device); running it only fills in the step's device addresses and encodes.
 */
@FunctionalInterface
interface MetalKernel extends Kernel {
    /** Encodes the work on the run's queue. */
    void launch(MetalQueue queue, DeviceStep step);

    @Override
    default void run(KernelContext ctx) {
        DeviceStep step = ctx.device();
        launch((MetalQueue) step.queue(), step);
    }

    /** A kernel whose output is its input's memory (Reshape and friends): nothing to encode. */
    static Kernel view() {
        return new MetalKernel() {
            @Override
            public void launch(MetalQueue queue, DeviceStep step) {
            }

            @Override
            public int viewOf(int output) {
                return 0;
            }
        };
    }
}

package dev.kiln.cuda.kernels;

import dev.kiln.backend.DeviceStep;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cuda.CudaQueue;

/**
 * A kernel whose launch geometry and parameters were computed at bind time (shapes are static
 * on the device); running it only fills in the step's device addresses and enqueues the launch.
 */
@FunctionalInterface
interface CudaKernel extends Kernel {
    /** Enqueues the work on the run's stream. */
    void launch(CudaQueue queue, DeviceStep step);

    @Override
    default void run(KernelContext ctx) {
        DeviceStep step = ctx.device();
        launch((CudaQueue) step.queue(), step);
    }

    /** A kernel whose output is its input's memory (Reshape and friends): nothing to launch. */
    static Kernel view() {
        return new CudaKernel() {
            @Override
            public void launch(CudaQueue queue, DeviceStep step) {
            }

            @Override
            public int viewOf(int output) {
                return 0;
            }
        };
    }
}

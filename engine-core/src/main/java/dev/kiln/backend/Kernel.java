package dev.kiln.backend;

/**
 * The compiled form of one node on one backend. Created once when a session is opened; must be
 * stateless while running, because one kernel serves many concurrent runs.
 */
@FunctionalInterface
public interface Kernel {
    /** Reads the inputs from {@code ctx} and produces every output. */
    void run(KernelContext ctx);

    /**
     * The input whose memory output {@code output} shares (a reshape-like view), or -1 when the
     * output is new memory. The memory planner keeps the input alive as long as the view.
     */
    default int viewOf(int output) {
        return -1;
    }

    /**
     * Bytes of device scratch this kernel needs while it runs (device kernels only); the
     * compiler places it in the device arena for the duration of the step.
     */
    default long deviceScratchBytes() {
        return 0;
    }
}

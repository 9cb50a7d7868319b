package dev.kiln.compile;

import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;

/**
 * A copy between host and device memory that the compiler inserts where a value produced on
 * one side is read on the other (node domain {@value #DOMAIN}). The executor performs it
 * itself, through the run's {@link dev.kiln.backend.DeviceQueue} and pinned staging buffer.
 */
public enum Transfer implements Kernel {
    /** Host value to its device copy: staged in pinned memory, then an async copy. */
    TO_DEVICE("ToDevice"),
    /** Device value to its host copy: an async copy into pinned memory, visible after a sync. */
    TO_HOST("ToHost");

    /** The domain of the nodes of inserted transfers. */
    public static final String DOMAIN = "kiln.device";

    private final String opType;

    Transfer(String opType) {
        this.opType = opType;
    }

    /** The op type of the transfer's node. */
    public String opType() {
        return opType;
    }

    @Override
    public void run(KernelContext ctx) {
        throw new IllegalStateException("transfers are performed by the executor, not run as kernels");
    }
}

package dev.kiln.backend;

/**
 * A provider of kernels for one device. Backends are found with {@link java.util.ServiceLoader};
 * the compiler asks them in order of {@link #priority()} and takes the first kernel offered.
 *
 * <p>A backend whose device does not use host memory (a GPU) also offers a {@link #runtime()};
 * the compiler binds it only for nodes whose types are all static, and inserts the copies
 * between its memory and the host's. Each session gets its own backend instances and closes
 * them when it closes.
 */
public interface Backend extends AutoCloseable {
    /** A short unique name, e.g. {@code cpu} or {@code cpu-ref}. */
    String name();

    /** The device this backend's kernels run on. */
    Device device();

    /** Lower values are asked first. */
    int priority();

    /**
     * Binds a kernel for a node, once, at compile time; constant inputs (weights) may be packed
     * here. Returns {@code null} to refuse, and the compiler asks the next backend.
     */
    Kernel bind(BindContext ctx);

    /** True when this backend could bind some kernel for {@code domain.opType}; used to list unsupported ops. */
    boolean supports(String domain, String opType);

    /**
     * Why this backend cannot run on this machine (no driver, no device, driver too old), or
     * {@code null} when it can. Asked when a session is opened, before any kernel is bound.
     */
    default String unavailableReason() {
        return null;
    }

    /** The runtime of a device that does not use host memory; {@code null} for host backends. */
    default DeviceRuntime runtime() {
        return null;
    }

    /** Releases what the backend holds on its device (weights, context). Idempotent. */
    @Override
    default void close() {
    }
}

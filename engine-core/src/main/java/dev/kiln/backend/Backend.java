package dev.kiln.backend;

/**
 * A provider of kernels for one device. Backends are found with {@link java.util.ServiceLoader};
 * the compiler asks them in order of {@link #priority()} and takes the first kernel offered.
 */
public interface Backend {
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
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;

/**
 * The reference CPU backend: one kernel per operator, written from the ONNX specification for
 * clarity and exactness rather than speed. Every fast kernel is tested against it.
 */
public final class ReferenceBackend implements Backend {
    /** This backend's name in {@link dev.kiln.Options#backends}. */
    public static final String NAME = "cpu-ref";

    private final KernelRegistry registry = KernelRegistry.reference();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Kernel bind(BindContext ctx) {
        KernelFactory f = registry.get(ctx.node().domain(), ctx.node().opType());
        return f == null ? null : f.create(ctx);
    }

    @Override
    public boolean supports(String domain, String opType) {
        return registry.get(domain, opType) != null;
    }
}

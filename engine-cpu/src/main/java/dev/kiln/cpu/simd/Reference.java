package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cpu.ref.KernelFactory;
import dev.kiln.cpu.ref.KernelRegistry;

/**
 * The reference kernel of a node, for the cases a fast kernel meets only at run time (a shape,
 * layout or attribute it does not cover): the fast kernel hands such calls over instead of
 * refusing the whole node at bind time.
 */
final class Reference {
    private Reference() {
    }

    private static final KernelRegistry REFERENCE = KernelRegistry.reference();

    /** The reference kernel for the node being bound. */
    static Kernel kernel(BindContext ctx) {
        KernelFactory f = REFERENCE.get(ctx.node().domain(), ctx.node().opType());
        if (f == null) {
            throw new IllegalStateException("no reference kernel for " + ctx.node().opType());
        }
        return f.create(ctx);
    }
}

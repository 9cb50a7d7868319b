package dev.kiln.metal.kernels;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import java.util.HashMap;
import java.util.Map;

/**
 * The Metal kernels by operator, one explicit {@code register} call per family (grep for an
 * operator's name in quotes to find its kernel). A factory returns {@code null} to refuse a
 * node it cannot run (a type, shape or attribute it does not handle); the node then runs on
 * the CPU.
 */
public final class MetalKernels {
    private final Map<String, Factory> factories = new HashMap<>();

    /** Makes the kernel for one node at bind time, or returns {@code null} to refuse. */
    @FunctionalInterface
    public interface Factory {
        /** The kernel, or {@code null}. */
        Kernel create(BindContext ctx);
    }

    /** Every Metal kernel. */
    public static MetalKernels all() {
        MetalKernels r = new MetalKernels();
        ElementwiseKernels.register(r);
        GemmKernels.register(r);
        ConvKernels.register(r);
        ReduceKernels.register(r);
        SoftmaxKernels.register(r);
        NormalizationKernels.register(r);
        AttentionKernels.register(r);
        r.onnx(ctx -> MetalKernel.view(), "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity");
        return r;
    }

    void onnx(Factory f, String... ops) {
        for (String op : ops) {
            if (factories.put(op, f) != null) {
                throw new IllegalStateException("two Metal kernels registered for " + op);
            }
        }
    }

    /** The kernel for the node, or {@code null}. */
    public Kernel bind(BindContext ctx) {
        Factory f = ctx.node().domain().isEmpty() || ctx.node().domain().equals("ai.onnx")
                ? factories.get(ctx.node().opType()) : null;
        return f == null ? null : f.create(ctx);
    }

    /** True when some Metal kernel exists for {@code domain.opType}. */
    public boolean supports(String domain, String opType) {
        return (domain.isEmpty() || domain.equals("ai.onnx")) && factories.containsKey(opType);
    }
}

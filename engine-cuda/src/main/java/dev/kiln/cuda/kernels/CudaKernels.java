package dev.kiln.cuda.kernels;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import java.util.HashMap;
import java.util.Map;

/**
 * The CUDA kernels by operator, one explicit {@code register} call per family (grep for an
 * operator's name in quotes to find its kernel). A factory returns {@code null} to refuse a
 * node it cannot run (a type or attribute it does not handle); the node then runs on the CPU.
 */
public final class CudaKernels {
    private final Map<String, Factory> factories = new HashMap<>();

    /** Makes the kernel for one node at bind time, or returns {@code null} to refuse. */
    @FunctionalInterface
    public interface Factory {
        Kernel create(BindContext ctx);
    }

    /** Every CUDA kernel. */
    public static CudaKernels all() {
        CudaKernels r = new CudaKernels();
        ElementwiseKernels.register(r);
        CastKernels.register(r);
        QuantizeKernels.register(r);
        GemmKernels.register(r);
        ConvKernels.register(r);
        PoolKernels.register(r);
        SoftmaxKernels.register(r);
        NormalizationKernels.register(r);
        ReduceKernels.register(r);
        CopyKernels.register(r);
        return r;
    }

    void onnx(Factory f, String... ops) {
        for (String op : ops) {
            if (factories.put(op, f) != null) {
                throw new IllegalStateException("two CUDA kernels registered for " + op);
            }
        }
    }

    /** The kernel for the node, or {@code null}. */
    public Kernel bind(BindContext ctx) {
        Factory f = ctx.node().domain().isEmpty() || ctx.node().domain().equals("ai.onnx")
                ? factories.get(ctx.node().opType()) : null;
        return f == null ? null : f.create(ctx);
    }

    /** True when some CUDA kernel exists for {@code domain.opType}. */
    public boolean supports(String domain, String opType) {
        return (domain.isEmpty() || domain.equals("ai.onnx")) && factories.containsKey(opType);
    }
}

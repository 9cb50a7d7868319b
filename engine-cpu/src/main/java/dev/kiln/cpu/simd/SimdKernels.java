package dev.kiln.cpu.simd;

import dev.kiln.cpu.ref.KernelRegistry;

/**
 * The Vector API kernels by operator, one {@code register} call per family (grep an operator's
 * name in quotes to find its kernel). Loading this class links the Vector API; only
 * {@link SimdBackend} calls it, after checking the module is present.
 */
final class SimdKernels {
    private SimdKernels() {
    }

    /**
     * Kernels whose first input is float32: the backend hands a node of another element type
     * to the reference kernel.
     */
    static KernelRegistry floatKernels() {
        KernelRegistry r = new KernelRegistry();
        MatMulKernels.register(r);
        BinaryKernels.register(r);
        UnaryKernels.register(r);
        ReduceKernels.register(r);
        SoftmaxKernels.register(r);
        NormalizationKernels.register(r);
        TransposeKernels.register(r);
        ConvKernels.register(r);
        ConvTransposeKernels.register(r);
        PoolKernels.register(r);
        ResizeKernels.register(r);
        DynamicQuantizeKernels.register(r);
        FusedKernels.register(r);
        return r;
    }

    /** Kernels that take other element types and hand the types they lack over themselves. */
    static KernelRegistry typedKernels() {
        KernelRegistry r = new KernelRegistry();
        IntegerMatMulKernels.register(r);
        CastKernels.register(r);
        LinearQuantizeKernels.register(r);
        return r;
    }
}

package dev.kiln.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;

/** The kernel suite on a real GPU through JCuda; skipped, with the reason, on machines without one. */
class GpuKernelsTest extends KernelSuite {
    @BeforeEach
    void gpu() {
        String reason = CudaProbe.unavailableReason();
        assumeTrue(reason == null, () -> "no usable GPU, CUDA device tests skipped: " + reason);
    }

    @Override
    KernelCases cases() {
        return new KernelCases(() -> JCudaDevice.open(0), 20261123);
    }
}

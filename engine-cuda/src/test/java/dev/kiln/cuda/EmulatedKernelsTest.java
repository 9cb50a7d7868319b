package dev.kiln.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeEach;

/** The kernel suite on the CPU emulator of the CUDA kernels: runs in every build where g++ exists. */
class EmulatedKernelsTest extends KernelSuite {
    @BeforeEach
    void emulator() {
        assumeTrue(CudaEmulator.unavailableReason() == null, () -> "CUDA kernel emulator unavailable: "
                + CudaEmulator.unavailableReason());
    }

    @Override
    KernelCases cases() {
        return new KernelCases(() -> new EmulatedDriver(CudaEmulator.get()), 20261123);
    }
}

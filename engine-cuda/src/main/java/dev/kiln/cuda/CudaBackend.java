package dev.kiln.cuda;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.DeviceRuntime;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.kernels.CudaKernels;
import java.util.function.Supplier;

/**
 * The CUDA backend ({@code cuda}): kernels compiled from {@code native/cuda} to PTX, launched
 * through the CUDA driver API (JCuda). It is asked before the CPU backends; nodes it refuses
 * (operators without a CUDA kernel, shapes unknown at compile time) run on the CPU with copies
 * the compiler inserts. On a machine without a usable GPU it reports why through
 * {@link #unavailableReason()} and a session that named it fails, unless a CPU backend was
 * named after it as the fallback ({@code Options.backends("cuda", "cpu-ref")}).
 */
public final class CudaBackend implements Backend {
    /** This backend's name in {@link dev.kiln.Options#backends}. */
    public static final String NAME = "cuda";
    private static final Device DEVICE = new Device("cuda", 0, false);

    private final Supplier<CudaDriver> driverFactory;
    private final boolean probe;
    private final CudaKernels kernels = CudaKernels.all();
    private CudaRuntime runtime;

    /** The backend on GPU 0, found by {@link java.util.ServiceLoader}. */
    public CudaBackend() {
        this(() -> JCudaDevice.open(0), true);
    }

    /** A backend running on the given driver (the kernel emulator, in tests). */
    CudaBackend(Supplier<CudaDriver> driverFactory, boolean probe) {
        this.driverFactory = driverFactory;
        this.probe = probe;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Device device() {
        return DEVICE;
    }

    @Override
    public int priority() {
        return -100;
    }

    @Override
    public String unavailableReason() {
        return probe ? CudaProbe.unavailableReason() : null;
    }

    @Override
    public synchronized DeviceRuntime runtime() {
        if (runtime == null) {
            runtime = new CudaRuntime(DEVICE, driverFactory.get());
        }
        return runtime;
    }

    @Override
    public Kernel bind(BindContext ctx) {
        return kernels.bind(ctx);
    }

    @Override
    public boolean supports(String domain, String opType) {
        return kernels.supports(domain, opType);
    }

    @Override
    public synchronized void close() {
        if (runtime != null) {
            runtime.close();
        }
    }
}

package dev.kiln.metal;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.DeviceRuntime;
import dev.kiln.backend.Kernel;
import dev.kiln.metal.kernels.MetalKernels;
import java.util.function.Supplier;

/**
 * The Metal backend ({@code metal}): kernels in Metal Shading Language from
 * {@code native/metal}, compiled with newLibraryWithSource when a session opens, run through
 * FFM bindings to the Objective-C runtime and Metal on the GPU's unified memory (weights are
 * used in place where their alignment allows). Nodes it refuses run on the CPU. On anything but
 * a Mac with an Apple7 (M1) or newer GPU it reports why through {@link #unavailableReason()},
 * and a session that named it fails unless a CPU backend was named after it.
 */
public final class MetalBackend implements Backend {
    /** This backend's name in {@link dev.kiln.Options#backends}. */
    public static final String NAME = "metal";
    private static final Device DEVICE = new Device("metal", 0, false);

    private final Supplier<MetalDevice> devices;
    private final boolean probe;
    private final MetalKernels kernels = MetalKernels.all();
    private MetalRuntime runtime;

    /** The backend on the system's default GPU, found by {@link java.util.ServiceLoader}. */
    public MetalBackend() {
        this(MetalDevice::systemDefault, true);
    }

    /** A backend on the given device (the fake Metal of the tests). */
    MetalBackend(Supplier<MetalDevice> devices, boolean probe) {
        this.devices = devices;
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
        return -90;
    }

    @Override
    public String unavailableReason() {
        return probe ? MetalProbe.unavailableReason() : null;
    }

    /** The device's runtime; the first call (when a session opens) compiles the kernel library. */
    @Override
    public synchronized DeviceRuntime runtime() {
        if (runtime == null) {
            MetalDevice d = devices.get();
            try {
                d.compile(ShaderSource.combined());
            } catch (RuntimeException e) {
                d.close();
                throw e;
            }
            runtime = new MetalRuntime(DEVICE, d);
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

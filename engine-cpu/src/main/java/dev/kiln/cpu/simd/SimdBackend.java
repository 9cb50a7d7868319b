package dev.kiln.cpu.simd;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.cpu.ref.KernelFactory;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fast CPU backend: Vector API kernels for the operators that dominate inference time
 * (matrix products, convolutions, elementwise math, normalizations, pooling). It binds a kernel
 * only for the cases it handles (float32 with known types) and refuses the rest, so the compiler
 * falls back to the reference backend node by node.
 *
 * <p>The Vector API is an incubator module: without {@code --add-modules jdk.incubator.vector}
 * this backend reports itself unavailable (it supports nothing) and warns once. This class
 * never touches a Vector API type itself, so it loads whether or not the module is present; the
 * kernel classes are only reached through {@link SimdKernels} once the module is known present.
 */
public final class SimdBackend implements Backend {
    /** This backend's name in {@link dev.kiln.Options#backends}. */
    public static final String NAME = "cpu";

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final AtomicBoolean WARNED = new AtomicBoolean();

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
        return 0;
    }

    /**
     * True when the Vector API module is in the boot layer. Checked by name so that this
     * class never links against the module.
     */
    public static boolean available() {
        return Registry.INSTANCE != null;
    }

    /**
     * A kernel of {@link SimdKernels#typedKernels} checks its input types itself. Every other
     * fast kernel works on float32 data in its first input: when that input's type is not known
     * at bind time (type inference does not cover every operator), the kernel is bound with a
     * run-time check that hands other element types to the reference kernel.
     */
    @Override
    public Kernel bind(BindContext ctx) {
        Registry r = registry();
        if (r == null) {
            return null;
        }
        KernelFactory typed = r.typed.get(ctx.node().domain(), ctx.node().opType());
        if (typed != null) {
            return typed.create(ctx);
        }
        KernelFactory f = r.floats.get(ctx.node().domain(), ctx.node().opType());
        Kernel fast = f == null ? null : f.create(ctx);
        if (fast == null || ctx.inputType(0) instanceof ValueType.TensorType t && t.dtype() == DType.FLOAT) {
            return fast;
        }
        Kernel reference = Reference.kernel(ctx);
        return k -> {
            Tensor x = k.tensor(0);
            if (x != null && x.dtype() == DType.FLOAT) {
                fast.run(k);
            } else {
                reference.run(k);
            }
        };
    }

    @Override
    public boolean supports(String domain, String opType) {
        Registry r = registry();
        return r != null && (r.typed.get(domain, opType) != null || r.floats.get(domain, opType) != null);
    }

    private static Registry registry() {
        Registry r = Registry.INSTANCE;
        if (r == null && WARNED.compareAndSet(false, true)) {
            System.getLogger("dev.kiln.cpu").log(System.Logger.Level.WARNING,
                    "the Vector API module is not available (run java with --add-modules " + VECTOR_MODULE
                            + "); Kiln runs its reference CPU kernels, which are much slower");
        }
        return r;
    }

    /** The kernel registries, built on first use; {@code INSTANCE} is null when the Vector API is absent. */
    private record Registry(KernelRegistry floats, KernelRegistry typed) {
        static final Registry INSTANCE = ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent()
                ? new Registry(SimdKernels.floatKernels(), SimdKernels.typedKernels()) : null;
    }
}

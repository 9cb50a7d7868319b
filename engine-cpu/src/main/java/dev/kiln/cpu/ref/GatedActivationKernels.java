package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.Tensor;

/** Gated activations: SwiGLU, Swish_alpha(A) * B over two inputs of one shape. */
final class GatedActivationKernels {
    private GatedActivationKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(GatedActivationKernels::swiGlu, "SwiGLU");
    }

    private static Kernel swiGlu(BindContext b) {
        double alpha = b.node().attrFloat("alpha", 1f);
        return k -> {
            Tensor a = k.tensor(0);
            Tensor v = k.tensor(1);
            if (!a.shape().equals(v.shape()) || a.dtype() != v.dtype()) {
                throw new IllegalArgumentException("SwiGLU inputs must have one type and shape (no broadcasting), got "
                        + a + " and " + v);
            }
            Tensor y = k.allocate(0, a.dtype(), a.shape());
            k.parallel().forRange(a.size(), 4096, (start, end) -> {
                for (long i = start; i < end; i++) {
                    double g = a.getDouble(i);
                    y.setDouble(i, g / (1 + Math.exp(-alpha * g)) * v.getDouble(i));
                }
            });
        };
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.ops.Activation;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.function.DoubleUnaryOperator;

/**
 * {@code kiln.FusedConv(X, W, B, Z)}: {@code act(Conv(X, W, B) + Z)}, float32. The convolution is
 * the reference Conv's loop; the residual and the activation are applied to each output plane
 * right after it is computed, while it is still in cache, instead of in two more passes.
 */
final class FusedConvKernels {
    private FusedConvKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "FusedConv", FusedConvKernels::fusedConv);
    }

    private static Kernel fusedConv(BindContext b) {
        long group = b.node().attrInt("group", 1);
        long[] kernelShape = b.node().attrInts("kernel_shape");
        DoubleUnaryOperator act = Epilogue.function(Activation.of(b.node()));
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor bias = k.hasInput(2) ? k.tensor(2) : null;
            Tensor z = k.hasInput(3) ? k.tensor(3) : null;
            if (x.dtype() != DType.FLOAT || w.dtype() != DType.FLOAT) {
                throw new IllegalArgumentException("FusedConv takes float X and W, got " + x.type() + " and " + w.type());
            }
            ConvGeometry g = ConvKernels.geometry(k.node(), x, w, group, kernelShape);
            Shape outShape = ConvKernels.outputShape(x, w, g);
            if (z != null && (!z.shape().equals(outShape) || z.dtype() != DType.FLOAT)) {
                throw new IllegalArgumentException("FusedConv residual " + z.type() + " does not match the output "
                        + outShape);
            }
            long batch = x.shape().dim(0);
            long c = x.shape().dim(1);
            long m = w.shape().dim(0);
            Tensor y = k.allocate(0, DType.FLOAT, outShape);
            long cg = c / group;
            long mg = m / group;
            long plane = g.outPlane();
            k.parallel().forRange(batch * m, 1, (start, end) -> {
                for (long nm = start; nm < end; nm++) {
                    long n = nm / m;
                    long oc = nm % m;
                    long gi = oc / mg;
                    long yBase = nm * plane;
                    float bv = bias == null ? 0 : (float) bias.getDouble(oc);
                    for (long o = 0; o < plane; o++) {
                        y.setFloat(yBase + o, bv);
                    }
                    for (long ic = 0; ic < cg; ic++) {
                        long xBase = (n * c + gi * cg + ic) * g.inPlane();
                        long wBase = (oc * cg + ic) * g.kernelPlane();
                        ConvKernels.accumulate(x, xBase, w, wBase, y, yBase, g);
                    }
                    epilogue(y, z, yBase, plane, act);
                }
            });
        };
    }

    /** Adds the residual and applies the activation to one output plane, rounding to float after each as the unfused ops do. */
    private static void epilogue(Tensor y, Tensor z, long base, long n, DoubleUnaryOperator act) {
        if (z != null) {
            for (long i = base; i < base + n; i++) {
                y.setFloat(i, y.getFloat(i) + z.getFloat(i));
            }
        }
        if (act != null) {
            for (long i = base; i < base + n; i++) {
                y.setFloat(i, (float) act.applyAsDouble(y.getFloat(i)));
            }
        }
    }
}

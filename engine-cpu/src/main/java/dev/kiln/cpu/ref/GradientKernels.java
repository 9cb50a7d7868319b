package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Kiln's internal operators that the compiler's expansion of {@code Gradient} emits:
 * {@code kiln.FillLike} (a tensor shaped and typed like its input, filled with the attribute
 * {@code value}) and {@code kiln.SumToShape} (a gradient summed over the axes its second input
 * was broadcast along, giving that input's shape).
 */
final class GradientKernels {
    private GradientKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "FillLike", GradientKernels::fillLike);
        r.add("kiln", "SumToShape", b -> GradientKernels::sumToShape);
    }

    private static Kernel fillLike(BindContext b) {
        double value = b.node().attrFloat("value", 0f);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            for (long i = 0; i < y.size(); i++) {
                y.setDouble(i, value);
            }
        };
    }

    private static void sumToShape(KernelContext k) {
        Tensor g = k.tensor(0);
        Shape target = k.tensor(1).shape();
        if (g.shape().equals(target)) {
            Tensor y = k.allocate(0, g.dtype(), target);
            g.copyInto(y);
            return;
        }
        if (!dev.kiln.ops.Shapes.broadcast(g.shape(), target).equals(g.shape())) {
            throw new IllegalArgumentException("a gradient of shape " + g.shape() + " cannot come from broadcasting "
                    + target);
        }
        Broadcast bc = Broadcast.to(g.shape(), target);
        double[] sums = new double[Math.toIntExact(target.size())];
        bc.forEachRow((o, len, start, step) -> {
            for (long i = 0; i < len; i++) {
                sums[(int) (start[0] + i * step[0])] += g.getDouble(o + i);
            }
        });
        Tensor y = k.allocate(0, g.dtype(), target);
        for (int i = 0; i < sums.length; i++) {
            y.setDouble(i, sums[i]);
        }
    }
}

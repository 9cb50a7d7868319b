package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.function.Function;

/**
 * Operators that only change how a tensor's memory is read: Reshape, Flatten, Squeeze,
 * Unsqueeze and Identity return views; Shape and Size describe.
 */
final class ShapeKernels {
    private ShapeKernels() {
    }

    /** A kernel whose output 0 is input 0 under a new shape, sharing its memory. */
    record View(Function<KernelContext, Shape> shape) implements Kernel {
        @Override
        public void run(KernelContext ctx) {
            if (!(ctx.input(0) instanceof Tensor x)) {
                ctx.set(0, ctx.input(0));
                return;
            }
            ctx.set(0, x.reshape(shape.apply(ctx)));
        }

        @Override
        public int viewOf(int output) {
            return output == 0 ? 0 : -1;
        }
    }

    static void register(KernelRegistry r) {
        r.onnx(ShapeKernels::reshape, "Reshape");
        r.onnx(ShapeKernels::flatten, "Flatten");
        r.onnx(ShapeKernels::squeeze, "Squeeze");
        r.onnx(ShapeKernels::unsqueeze, "Unsqueeze");
        r.onnx(b -> new View(k -> k.input(0) instanceof Tensor t ? t.shape() : null), "Identity");
        r.onnx(ShapeKernels::shape, "Shape");
        r.onnx(b -> k -> k.allocate(0, DType.INT64, Shape.SCALAR).setLong(0, k.tensor(0).size()), "Size");
    }

    private static Kernel reshape(BindContext b) {
        boolean allowZero = b.node().attrInt("allowzero", 0) != 0;
        long[] attrShape = b.opset() < 5 ? b.node().attrInts("shape") : null;
        return new View(k -> {
            Tensor x = k.tensor(0);
            long[] target = attrShape != null ? attrShape : k.tensor(1).toLongArray();
            return Shape.of(Shapes.reshape(x.shape().dims(), target, allowZero));
        });
    }

    private static Kernel flatten(BindContext b) {
        long axis = b.node().attrInt("axis", 1);
        return new View(k -> {
            Shape s = k.tensor(0).shape();
            int a = (int) (axis < 0 ? axis + s.rank() : axis);
            if (a < 0 || a > s.rank()) {
                throw new IllegalArgumentException("Flatten axis " + axis + " out of range for rank " + s.rank());
            }
            return Shape.of(s.sizeBetween(0, a), s.sizeBetween(a, s.rank()));
        });
    }

    /** Squeeze and Unsqueeze take their axes as an input from opset 13, an attribute before. */
    private static Function<KernelContext, long[]> axes(BindContext b) {
        if (b.opset() >= 13) {
            return k -> k.hasInput(1) ? k.tensor(1).toLongArray() : null;
        }
        long[] attr = b.node().attrInts("axes");
        return k -> attr;
    }

    private static Kernel squeeze(BindContext b) {
        Function<KernelContext, long[]> axesOf = axes(b);
        return new View(k -> {
            Shape s = k.tensor(0).shape();
            long[] axes = axesOf.apply(k);
            boolean[] drop = new boolean[s.rank()];
            if (axes == null) {
                for (int i = 0; i < s.rank(); i++) {
                    drop[i] = s.dim(i) == 1;
                }
            } else {
                for (int a : Shapes.normalizeAxes(axes, s.rank())) {
                    if (s.dim(a) != 1) {
                        throw new IllegalArgumentException("cannot squeeze axis " + a + " of size " + s.dim(a));
                    }
                    drop[a] = true;
                }
            }
            java.util.List<Long> out = new java.util.ArrayList<>();
            for (int i = 0; i < s.rank(); i++) {
                if (!drop[i]) {
                    out.add(s.dim(i));
                }
            }
            return Shape.of(out.stream().mapToLong(Long::longValue).toArray());
        });
    }

    private static Kernel unsqueeze(BindContext b) {
        Function<KernelContext, long[]> axesOf = axes(b);
        return new View(k -> {
            Shape s = k.tensor(0).shape();
            long[] axes = axesOf.apply(k);
            if (axes == null) {
                throw new IllegalArgumentException("Unsqueeze needs axes");
            }
            int outRank = s.rank() + axes.length;
            boolean[] ins = new boolean[outRank];
            for (int a : Shapes.normalizeAxes(axes, outRank)) {
                if (ins[a]) {
                    throw new IllegalArgumentException("Unsqueeze axis " + a + " repeated");
                }
                ins[a] = true;
            }
            long[] out = new long[outRank];
            int j = 0;
            for (int i = 0; i < outRank; i++) {
                out[i] = ins[i] ? 1 : s.dim(j++);
            }
            return Shape.of(out);
        });
    }

    private static Kernel shape(BindContext b) {
        long start = b.node().attrInt("start", 0);
        long end = b.node().attrInt("end", Long.MAX_VALUE);
        return k -> {
            Shape s = k.tensor(0).shape();
            int r = s.rank();
            int from = clamp(start, r);
            int to = end == Long.MAX_VALUE ? r : clamp(end, r);
            int n = Math.max(0, to - from);
            Tensor y = k.allocate(0, DType.INT64, Shape.of(n));
            for (int i = 0; i < n; i++) {
                y.setLong(i, s.dim(from + i));
            }
        };
    }

    private static int clamp(long a, int rank) {
        long v = a < 0 ? a + rank : a;
        return (int) Math.max(0, Math.min(rank, v));
    }
}

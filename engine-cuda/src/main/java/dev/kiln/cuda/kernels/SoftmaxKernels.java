package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;

/** Softmax and LogSoftmax: the tensor as [outer, n, inner] around the axis (opset 13+), or as [outer, n] before. */
final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(ctx -> bind(ctx, false), "Softmax");
        r.onnx(ctx -> bind(ctx, true), "LogSoftmax");
    }

    private static Kernel bind(BindContext ctx, boolean log) {
        long[] x = StaticShapes.in(ctx, 0);
        if (!StaticShapes.allFloat(ctx) || x.length == 0) {
            return null;
        }
        boolean coerce2d = ctx.opset() < 13;
        int axis = StaticShapes.axis(ctx.node().attrInt("axis", coerce2d ? 1 : -1), x.length);
        long outer = StaticShapes.product(x, 0, axis);
        long n = coerce2d ? StaticShapes.product(x, axis, x.length) : x[axis];
        long inner = coerce2d ? 1 : StaticShapes.product(x, axis + 1, x.length);
        if (n > Integer.MAX_VALUE || outer * inner == 0) {
            return null;
        }
        int flag = log ? 1 : 0;
        if (inner == 1) {
            if (outer > Integer.MAX_VALUE) {
                return null;
            }
            Grid grid = new Grid((int) outer, 1, 1, 256);
            return (CudaKernel) (q, d) -> q.launch("kiln_softmax_rows_f32", grid, new LaunchArgs().ptr(d.input(0))
                    .ptr(d.output(0)).i32((int) n).i32(flag));
        }
        Grid grid = Grid.stride(outer * inner, ElementwiseKernels.THREADS);
        return (CudaKernel) (q, d) -> q.launch("kiln_softmax_strided_f32", grid, new LaunchArgs().ptr(d.input(0))
                .ptr(d.output(0)).i64(outer).i32((int) n).i64(inner).i32(flag));
    }
}

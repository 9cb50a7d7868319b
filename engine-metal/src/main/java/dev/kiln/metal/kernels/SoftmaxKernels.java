package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;

/**
 * Softmax and LogSoftmax: along one axis from opset 13, over the flattened trailing dims
 * before. Rows (the last axis) on {@code kiln_softmax_rows_f32}, others on
 * {@code kiln_softmax_cols_f32}.
 */
final class SoftmaxKernels {
    private static final int THREADS = 256;

    private SoftmaxKernels() {
    }

    static void register(MetalKernels r) {
        r.onnx(SoftmaxKernels::softmax, "Softmax", "LogSoftmax");
    }

    private static Kernel softmax(BindContext ctx) {
        if (!StaticShapes.allFloat(ctx)) {
            return null;
        }
        long[] x = StaticShapes.in(ctx, 0);
        if (x.length == 0 || StaticShapes.size(x) == 0 || !StaticShapes.fitsIndex(StaticShapes.size(x))) {
            return null;
        }
        boolean perAxis = ctx.opset() >= 13;
        int axis = StaticShapes.axis(ctx.node().attrInt("axis", perAxis ? -1 : 1), x.length);
        long outer = StaticShapes.product(x, 0, axis);
        long len = perAxis ? x[axis] : StaticShapes.product(x, axis, x.length);
        long inner = perAxis ? StaticShapes.product(x, axis + 1, x.length) : 1;
        if (len == 0) {
            return null;
        }
        byte[] params = new ParamStruct().i32(outer, len, inner, ctx.node().opType().equals("LogSoftmax") ? 1 : 0).bytes();
        if (inner == 1) {
            return (MetalKernel) (q, d) -> q.dispatch(Dispatch.linear("kiln_softmax_rows_f32", Math.max(1, outer), THREADS)
                    .buffer(0, d.input(0)).buffer(1, d.output(0)).bytes(2, params).threadgroup(0, 4 * 32));
        }
        return (MetalKernel) (q, d) -> q.dispatch(Dispatch.perElement("kiln_softmax_cols_f32", outer * inner, THREADS)
                .buffer(0, d.input(0)).buffer(1, d.output(0)).bytes(2, params));
    }
}

package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;
import java.util.Map;

/**
 * Float reductions over a contiguous run of axes: rows (the last axes) on
 * {@code kiln_reduce_rows_f32}, one threadgroup per row; anything else on
 * {@code kiln_reduce_cols_f32}, one thread per output.
 */
final class ReduceKernels {
    private static final Map<String, Integer> OPS = Map.of("ReduceSum", 0, "ReduceMean", 1, "ReduceMax", 2,
            "ReduceMin", 3, "ReduceProd", 4, "ReduceSumSquare", 5, "ReduceL1", 6, "ReduceL2", 7, "ReduceLogSum", 8,
            "ReduceLogSumExp", 9);
    private static final int THREADS = 256;

    private ReduceKernels() {
    }

    static void register(MetalKernels r) {
        for (String op : OPS.keySet()) {
            r.onnx(ReduceKernels::reduce, op);
        }
    }

    private static Kernel reduce(BindContext ctx) {
        if (ctx.node().hasInput(0) && StaticShapes.inType(ctx, 0) != dev.kiln.tensor.DType.FLOAT
                || StaticShapes.outType(ctx, 0) != dev.kiln.tensor.DType.FLOAT) {
            return null;
        }
        Node node = ctx.node();
        long[] x = StaticShapes.in(ctx, 0);
        long[] axes;
        // ReduceSum took axes as an input from opset 13, the others from opset 18.
        boolean axesInput = ctx.opset() >= (node.opType().equals("ReduceSum") ? 13 : 18);
        if (axesInput) {
            axes = ctx.inputCount() > 1 && node.hasInput(1) ? StaticShapes.constantLongs(ctx, 1) : new long[0];
            if (axes == null) {
                return null;
            }
        } else {
            axes = StaticShapes.ints(node, "axes", new long[0]);
        }
        if (axes.length == 0) {
            if (node.attrInt("noop_with_empty_axes", 0) != 0) {
                return null;
            }
            axes = new long[x.length];
            for (int i = 0; i < x.length; i++) {
                axes[i] = i;
            }
        }
        int[] norm = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            norm[i] = StaticShapes.axis(axes[i], x.length);
        }
        java.util.Arrays.sort(norm);
        for (int i = 1; i < norm.length; i++) {
            if (norm[i] != norm[i - 1] + 1) {
                return null;
            }
        }
        long outer = StaticShapes.product(x, 0, norm[0]);
        long r = StaticShapes.product(x, norm[0], norm[norm.length - 1] + 1);
        long inner = StaticShapes.product(x, norm[norm.length - 1] + 1, x.length);
        if (r == 0 || outer * inner == 0 || !StaticShapes.fitsIndex(StaticShapes.size(x))) {
            return null;
        }
        byte[] params = new ParamStruct().i32(outer, r, inner, OPS.get(node.opType())).bytes();
        if (inner == 1) {
            return (MetalKernel) (q, d) -> q.dispatch(Dispatch.linear("kiln_reduce_rows_f32", outer, THREADS)
                    .buffer(0, d.input(0)).buffer(1, d.output(0)).bytes(2, params).threadgroup(0, 4 * 32));
        }
        return (MetalKernel) (q, d) -> q.dispatch(Dispatch.perElement("kiln_reduce_cols_f32", outer * inner, THREADS)
                .buffer(0, d.input(0)).buffer(1, d.output(0)).bytes(2, params));
    }
}

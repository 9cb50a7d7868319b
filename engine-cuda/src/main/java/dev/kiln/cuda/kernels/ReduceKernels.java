package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import java.util.Map;
import java.util.TreeSet;

/** The Reduce operators over contiguous axes (the tensor as [outer, r, inner]); other axis sets run on the CPU. */
final class ReduceKernels {
    /** Op codes of reduce.cu. */
    private static final Map<String, Integer> OPS = Map.of("ReduceSum", 0, "ReduceMean", 1, "ReduceMax", 2,
            "ReduceMin", 3, "ReduceProd", 4, "ReduceSumSquare", 5, "ReduceL1", 6, "ReduceL2", 7, "ReduceLogSum", 8,
            "ReduceLogSumExp", 9);

    private ReduceKernels() {
    }

    static void register(CudaKernels r) {
        for (String op : OPS.keySet()) {
            r.onnx(ReduceKernels::bind, op);
        }
    }

    /** Opset from which the axes are the second input instead of an attribute. */
    private static int axesInputSince(String op) {
        return op.equals("ReduceSum") ? 13 : 18;
    }

    private static Kernel bind(BindContext ctx) {
        long[] x = StaticShapes.in(ctx, 0);
        if (StaticShapes.inType(ctx, 0) != dev.kiln.tensor.DType.FLOAT || StaticShapes.outType(ctx, 0) != dev.kiln.tensor.DType.FLOAT
                || x.length == 0) {
            return null;
        }
        String op = ctx.node().opType();
        long[] axes;
        if (ctx.opset() >= axesInputSince(op)) {
            boolean given = ctx.inputCount() > 1 && ctx.node().hasInput(1);
            axes = given ? StaticShapes.constantLongs(ctx, 1) : new long[0];
            if (axes == null) {
                return null;
            }
            if (axes.length == 0 && ctx.node().attrInt("noop_with_empty_axes", 0) != 0) {
                return null;
            }
        } else {
            axes = ctx.node().attrInts("axes");
            axes = axes == null ? new long[0] : axes;
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (long a : axes) {
            set.add(StaticShapes.axis(a, x.length));
        }
        if (set.isEmpty()) {
            for (int i = 0; i < x.length; i++) {
                set.add(i);
            }
        }
        if (set.last() - set.first() + 1 != set.size()) {
            return null;
        }
        long outer = StaticShapes.product(x, 0, set.first());
        long r = StaticShapes.product(x, set.first(), set.last() + 1);
        long inner = StaticShapes.product(x, set.last() + 1, x.length);
        if (r == 0 || r > Integer.MAX_VALUE || outer * inner == 0) {
            return null;
        }
        int code = OPS.get(op);
        if (inner == 1 && outer <= Integer.MAX_VALUE) {
            Grid grid = new Grid((int) outer, 1, 1, 256);
            return (CudaKernel) (q, d) -> q.launch("kiln_reduce_rows_f32", grid, new LaunchArgs().ptr(d.input(0))
                    .ptr(d.output(0)).i32((int) r).i32(code));
        }
        Grid grid = Grid.stride(outer * inner, ElementwiseKernels.THREADS);
        return (CudaKernel) (q, d) -> q.launch("kiln_reduce_strided_f32", grid, new LaunchArgs().ptr(d.input(0))
                .ptr(d.output(0)).i64(outer).i32((int) r).i64(inner).i32(code));
    }
}

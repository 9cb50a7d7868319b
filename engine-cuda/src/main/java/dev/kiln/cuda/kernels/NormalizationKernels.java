package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;

/** LayerNormalization ({@code kiln_layernorm_f32}) and inference-mode BatchNormalization ({@code kiln_batchnorm_f32}). */
final class NormalizationKernels {
    private NormalizationKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(NormalizationKernels::layerNorm, "LayerNormalization");
        r.onnx(NormalizationKernels::batchNorm, "BatchNormalization");
    }

    private static Kernel layerNorm(BindContext ctx) {
        long[] x = StaticShapes.in(ctx, 0);
        if (!StaticShapes.allFloat(ctx) || x.length == 0) {
            return null;
        }
        int axis = StaticShapes.axis(ctx.node().attrInt("axis", -1), x.length);
        long rows = StaticShapes.product(x, 0, axis);
        long cols = StaticShapes.product(x, axis, x.length);
        // Scale and bias broadcast to the normalized shape only when they have all of its elements.
        if (StaticShapes.size(StaticShapes.in(ctx, 1)) != cols || (ctx.inputCount() > 2 && ctx.node().hasInput(2)
                && StaticShapes.size(StaticShapes.in(ctx, 2)) != cols) || rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE || rows == 0) {
            return null;
        }
        for (int o = 1; o < ctx.node().outputs().size(); o++) {
            if (!ctx.node().outputs().get(o).isEmpty() && StaticShapes.outType(ctx, o) != dev.kiln.tensor.DType.FLOAT) {
                return null;
            }
        }
        boolean hasBias = ctx.inputCount() > 2 && ctx.node().hasInput(2);
        float eps = ctx.node().attrFloat("epsilon", 1e-5f);
        Grid grid = new Grid((int) rows, 1, 1, 256);
        return (CudaKernel) (q, d) -> q.launch("kiln_layernorm_f32", grid, new LaunchArgs().ptr(d.input(0)).ptr(d.input(1))
                .ptr(hasBias ? d.input(2) : 0).ptr(d.output(0)).ptr(d.output(1)).ptr(d.output(2)).i32((int) cols).f32(eps));
    }

    private static Kernel batchNorm(BindContext ctx) {
        long[] x = StaticShapes.in(ctx, 0);
        if (!StaticShapes.allFloat(ctx) || x.length < 2 || ctx.node().attrInt("training_mode", 0) != 0
                || ctx.node().outputs().size() > 1 || x[1] > Integer.MAX_VALUE) {
            return null;
        }
        for (int i = 1; i <= 4; i++) {
            if (StaticShapes.size(StaticShapes.in(ctx, i)) != x[1]) {
                return null;
            }
        }
        long n = StaticShapes.size(x);
        long inner = StaticShapes.product(x, 2, x.length);
        int channels = (int) x[1];
        float eps = ctx.node().attrFloat("epsilon", 1e-5f);
        Grid grid = Grid.stride(n, ElementwiseKernels.THREADS);
        return (CudaKernel) (q, d) -> q.launch("kiln_batchnorm_f32", grid, new LaunchArgs().ptr(d.input(0)).ptr(d.input(1))
                .ptr(d.input(2)).ptr(d.input(3)).ptr(d.input(4)).ptr(d.output(0)).i64(n).i32(channels).i64(inner).f32(eps));
    }
}

package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import dev.kiln.cuda.ParamStruct;

/**
 * Conv (1-D and 2-D, groups, dilations, bias) as an implicit GEMM ({@code kiln_conv2d_f32}),
 * whose epilogue {@code act(conv + bias + residual)} also serves the optimizer's fused Conv.
 */
final class ConvKernels {
    private static final int TILE = 64;

    private ConvKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(ctx -> conv(ctx, Epilogue.NONE, false), "Conv");
    }

    /**
     * The kernel for a Conv-like node: inputs X, W, optional B, then (when {@code residual}) the
     * tensor added before the activation.
     */
    static Kernel conv(BindContext ctx, Epilogue epilogue, boolean residual) {
        if (!StaticShapes.allFloat(ctx)) {
            return null;
        }
        long[] x = StaticShapes.in(ctx, 0);
        long[] w = StaticShapes.in(ctx, 1);
        long[] y = StaticShapes.out(ctx, 0);
        if (x.length < 3 || x.length > 4 || w.length != x.length) {
            return null;
        }
        long group = ctx.node().attrInt("group", 1);
        long[] spatial = java.util.Arrays.copyOfRange(x, 2, x.length);
        Window win = Window.of(ctx.node(), spatial, java.util.Arrays.copyOfRange(w, 2, w.length));
        if (win == null || group < 1 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1]) {
            return null;
        }
        long oh = y.length == 4 ? y[2] : 1;
        long ow = y[y.length - 1];
        if (!StaticShapes.fitsInt(x, w, y)) {
            return null;
        }
        byte[] params = new ParamStruct()
                .i32((int) x[0], (int) x[1], (int) win.in()[0], (int) win.in()[1], (int) w[0], (int) group,
                        (int) win.kernel()[0], (int) win.kernel()[1], (int) oh, (int) ow,
                        (int) win.stride()[0], (int) win.stride()[1], (int) win.padBegin()[0], (int) win.padBegin()[1],
                        (int) win.dilation()[0], (int) win.dilation()[1], epilogue.code())
                .f32(epilogue.alpha(), epilogue.beta()).i32(0).bytes();
        long batches = x[0] * group;
        long rowTiles = (w[0] / group + TILE - 1) / TILE;
        if (rowTiles > Grid.MAX_YZ) {
            return null;
        }
        Grid grid = new Grid((int) ((oh * ow + TILE - 1) / TILE), (int) rowTiles, (int) Math.min(batches, Grid.MAX_YZ), 256);
        boolean hasBias = ctx.inputCount() > 2 && ctx.node().hasInput(2);
        return (CudaKernel) (q, d) -> q.launch("kiln_conv2d_f32", grid, new LaunchArgs().ptr(d.input(0)).ptr(d.input(1))
                .ptr(hasBias ? d.input(2) : 0).ptr(residual ? d.input(3) : 0).ptr(d.output(0)).struct(params));
    }
}

package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import dev.kiln.cuda.ParamStruct;

/** MaxPool, AveragePool (1-D, 2-D) and GlobalAveragePool, GlobalMaxPool (any rank). */
final class PoolKernels {
    private PoolKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(ctx -> pool(ctx, true), "MaxPool");
        r.onnx(ctx -> pool(ctx, false), "AveragePool");
        r.onnx(ctx -> global(ctx, false), "GlobalAveragePool");
        r.onnx(ctx -> global(ctx, true), "GlobalMaxPool");
    }

    private static Kernel pool(BindContext ctx, boolean max) {
        // MaxPool's optional Indices output is left to the CPU.
        if (!StaticShapes.allFloat(ctx) || (ctx.node().outputs().size() > 1 && !ctx.node().outputs().get(1).isEmpty())) {
            return null;
        }
        long[] x = StaticShapes.in(ctx, 0);
        long[] y = StaticShapes.out(ctx, 0);
        long[] kernel = ctx.node().attrInts("kernel_shape");
        if (kernel == null || x.length < 3 || !StaticShapes.fitsInt(x, y)) {
            return null;
        }
        Window win = Window.of(ctx.node(), java.util.Arrays.copyOfRange(x, 2, x.length), kernel);
        if (win == null) {
            return null;
        }
        long oh = y.length == 4 ? y[2] : 1;
        long ow = y[y.length - 1];
        long planes = x[0] * x[1];
        byte[] params = new ParamStruct().i64(planes)
                .i32((int) win.in()[0], (int) win.in()[1], (int) oh, (int) ow, (int) win.kernel()[0], (int) win.kernel()[1],
                        (int) win.stride()[0], (int) win.stride()[1], (int) win.padBegin()[0], (int) win.padBegin()[1],
                        (int) win.padEnd()[0], (int) win.padEnd()[1], (int) win.dilation()[0], (int) win.dilation()[1],
                        max ? 1 : 0, (int) ctx.node().attrInt("count_include_pad", 0))
                .bytes();
        Grid grid = Grid.stride(planes * oh * ow, ElementwiseKernels.THREADS);
        return (CudaKernel) (q, d) -> q.launch("kiln_pool2d_f32", grid, new LaunchArgs().ptr(d.input(0)).ptr(d.output(0))
                .struct(params));
    }

    private static Kernel global(BindContext ctx, boolean max) {
        long[] x = StaticShapes.in(ctx, 0);
        if (!StaticShapes.allFloat(ctx) || x.length < 3 || x[0] * x[1] > Integer.MAX_VALUE) {
            return null;
        }
        long planes = x[0] * x[1];
        long plane = StaticShapes.product(x, 2, x.length);
        Grid grid = new Grid((int) planes, 1, 1, 256);
        return (CudaKernel) (q, d) -> q.launch("kiln_global_pool_f32", grid, new LaunchArgs().ptr(d.input(0))
                .ptr(d.output(0)).i64(plane).i32(max ? 1 : 0));
    }
}

package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import dev.kiln.tensor.DType;

/** 8-bit QuantizeLinear and DequantizeLinear, per tensor or per axis ({@code kiln_quantize_8}, {@code kiln_dequantize_8}). */
final class QuantizeKernels {
    private QuantizeKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(ctx -> bind(ctx, false), "QuantizeLinear");
        r.onnx(ctx -> bind(ctx, true), "DequantizeLinear");
    }

    private static Kernel bind(BindContext ctx, boolean dequantize) {
        DType q = dequantize ? StaticShapes.inType(ctx, 0) : StaticShapes.outType(ctx, 0);
        DType f = dequantize ? StaticShapes.outType(ctx, 0) : StaticShapes.inType(ctx, 0);
        if ((q != DType.UINT8 && q != DType.INT8) || f != DType.FLOAT || StaticShapes.inType(ctx, 1) != DType.FLOAT
                || ctx.node().attrInt("block_size", 0) != 0) {
            return null;
        }
        long[] x = StaticShapes.in(ctx, 0);
        long[] scale = StaticShapes.in(ctx, 1);
        long channels = StaticShapes.size(scale);
        long inner = 1;
        if (channels > 1) {
            if (scale.length != 1 || x.length == 0) {
                return null;
            }
            int axis = StaticShapes.axis(ctx.node().attrInt("axis", 1), x.length);
            if (x[axis] != channels) {
                return null;
            }
            inner = StaticShapes.product(x, axis + 1, x.length);
        }
        long n = StaticShapes.size(x);
        boolean signed = q == DType.INT8;
        boolean hasZero = ctx.inputCount() > 2 && ctx.node().hasInput(2);
        Grid grid = Grid.stride(n, ElementwiseKernels.THREADS);
        String fn = dequantize ? "kiln_dequantize_8" : "kiln_quantize_8";
        int c = Math.toIntExact(channels);
        long in = inner;
        return (CudaKernel) (qu, d) -> qu.launch(fn, grid, new LaunchArgs().ptr(d.input(0)).ptr(d.input(1))
                .ptr(hasZero ? d.input(2) : 0).ptr(d.output(0)).i64(n).i32(signed ? 1 : 0).i32(c).i64(in));
    }
}

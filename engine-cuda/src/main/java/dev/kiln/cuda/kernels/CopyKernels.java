package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.DeviceStep;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.CudaQueue;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import dev.kiln.cuda.ParamStruct;
import java.util.ArrayList;
import java.util.List;

/**
 * Data movement: Transpose, Slice, Expand and Concat as strided copies ({@code kiln_strided_copy_N}
 * for elements of N bytes), Gather with constant indices, and the shape-only operators as views.
 */
final class CopyKernels {
    private CopyKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(ctx -> CudaKernel.view(), "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity");
        r.onnx(CopyKernels::dropout, "Dropout");
        r.onnx(CopyKernels::transpose, "Transpose");
        r.onnx(CopyKernels::slice, "Slice");
        r.onnx(CopyKernels::expand, "Expand");
        r.onnx(CopyKernels::concat, "Concat");
        r.onnx(CopyKernels::gather, "Gather");
    }

    /** One strided copy: walk {@code dims}, reading and writing at the given element strides and offsets. */
    record Copy(long[] dims, long[] inStrides, long[] outStrides, long inOffset, long outOffset) {
        /** The launch for elements of {@code elemBytes}, or {@code null} when the walk has too many dims. */
        Launch launch(int elemBytes) {
            long[][] c = StaticShapes.collapse(dims, inStrides, outStrides);
            if (c == null || !StaticShapes.fitsInt(c[0]) || (elemBytes != 1 && elemBytes != 2 && elemBytes != 4 && elemBytes != 8)) {
                return null;
            }
            byte[] params = new ParamStruct().i64(StaticShapes.pad(c[1], 0)).i64(StaticShapes.pad(c[2], 0)).i64(inOffset, outOffset)
                    .i32(StaticShapes.padInts(c[0], 1)).i32(c[0].length, 0).bytes();
            long n = StaticShapes.size(dims);
            return new Launch("kiln_strided_copy_" + elemBytes, Grid.stride(n, ElementwiseKernels.THREADS), n, params);
        }
    }

    record Launch(String function, Grid grid, long n, byte[] params) {
        void run(CudaQueue q, long in, long out) {
            if (n > 0) {
                q.launch(function, grid, new LaunchArgs().ptr(in).ptr(out).i64(n).struct(params));
            }
        }
    }

    private static int elemBytes(BindContext ctx) {
        long bits = StaticShapes.outType(ctx, 0).bits();
        return bits % 8 == 0 ? (int) (bits / 8) : -1;
    }

    private static Kernel single(Copy copy, int elemBytes) {
        Launch l = copy.launch(elemBytes);
        return l == null ? null : (CudaKernel) (q, d) -> l.run(q, d.input(0), d.output(0));
    }

    private static Kernel dropout(BindContext ctx) {
        boolean mask = ctx.node().outputs().size() > 1 && !ctx.node().outputs().get(1).isEmpty();
        boolean training = ctx.inputCount() > 2 && ctx.node().hasInput(2);
        return mask || training ? null : CudaKernel.view();
    }

    private static Kernel transpose(BindContext ctx) {
        long[] x = StaticShapes.in(ctx, 0);
        long[] y = StaticShapes.out(ctx, 0);
        long[] perm = ctx.node().attrInts("perm");
        long[] xs = StaticShapes.strides(x);
        long[] in = new long[y.length];
        for (int i = 0; i < y.length; i++) {
            in[i] = xs[perm == null ? y.length - 1 - i : (int) perm[i]];
        }
        return single(new Copy(y, in, StaticShapes.strides(y), 0, 0), elemBytes(ctx));
    }

    private static Kernel expand(BindContext ctx) {
        long[] x = StaticShapes.in(ctx, 0);
        long[] y = StaticShapes.out(ctx, 0);
        return single(new Copy(y, StaticShapes.broadcastStrides(x, y), StaticShapes.strides(y), 0, 0), elemBytes(ctx));
    }

    private static Kernel slice(BindContext ctx) {
        if (ctx.opset() < 10) {
            return null;
        }
        long[] x = StaticShapes.in(ctx, 0);
        long[] y = StaticShapes.out(ctx, 0);
        long[] starts = StaticShapes.constantLongs(ctx, 1);
        long[] ends = StaticShapes.constantLongs(ctx, 2);
        long[] axes = ctx.inputCount() > 3 && ctx.node().hasInput(3) ? StaticShapes.constantLongs(ctx, 3) : null;
        long[] steps = ctx.inputCount() > 4 && ctx.node().hasInput(4) ? StaticShapes.constantLongs(ctx, 4) : null;
        boolean axesGiven = ctx.inputCount() > 3 && ctx.node().hasInput(3);
        boolean stepsGiven = ctx.inputCount() > 4 && ctx.node().hasInput(4);
        if (starts == null || ends == null || (axesGiven && axes == null) || (stepsGiven && steps == null)) {
            return null;
        }
        long[] xs = StaticShapes.strides(x);
        long[] in = xs.clone();
        long offset = 0;
        for (int i = 0; i < starts.length; i++) {
            int axis = StaticShapes.axis(axes == null ? i : axes[i], x.length);
            long step = steps == null ? 1 : steps[i];
            if (step == 0) {
                return null;
            }
            long dim = x[axis];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            s = step > 0 ? Math.max(0, Math.min(dim, s)) : Math.max(0, Math.min(dim - 1, s));
            offset += s * xs[axis];
            in[axis] = xs[axis] * step;
        }
        return single(new Copy(y, in, StaticShapes.strides(y), offset, 0), elemBytes(ctx));
    }

    private static Kernel concat(BindContext ctx) {
        long[] y = StaticShapes.out(ctx, 0);
        int axis = StaticShapes.axis(ctx.node().attrInt("axis", 0), y.length);
        long[] ys = StaticShapes.strides(y);
        List<Launch> parts = new ArrayList<>();
        List<Integer> inputs = new ArrayList<>();
        long at = 0;
        for (int i = 0; i < ctx.inputCount(); i++) {
            long[] x = StaticShapes.in(ctx, i);
            if (x == null) {
                return null;
            }
            Launch l = new Copy(x, StaticShapes.strides(x), ys, 0, at * ys[axis]).launch(elemBytes(ctx));
            if (l == null) {
                return null;
            }
            parts.add(l);
            inputs.add(i);
            at += x[axis];
        }
        return (CudaKernel) (q, d) -> {
            for (int k = 0; k < parts.size(); k++) {
                parts.get(k).run(q, d.input(inputs.get(k)), d.output(0));
            }
        };
    }

    /**
     * Gather with constant indices, checked here: an index out of range is left to the CPU,
     * which reports it, since a kernel cannot fail a run by itself.
     */
    private static Kernel gather(BindContext ctx) {
        long[] x = StaticShapes.in(ctx, 0);
        long[] idx = StaticShapes.constantLongs(ctx, 1);
        int elem = elemBytes(ctx);
        if (idx == null || x.length == 0 || elem < 1) {
            return null;
        }
        int axis = StaticShapes.axis(ctx.node().attrInt("axis", 0), x.length);
        long[] fixed = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            long v = idx[i] < 0 ? idx[i] + x[axis] : idx[i];
            if (v < 0 || v >= x[axis]) {
                return null;
            }
            fixed[i] = v;
        }
        dev.kiln.tensor.Tensor indices = dev.kiln.tensor.Tensor.ofLongs(new long[] {fixed.length}, fixed);
        long outer = StaticShapes.product(x, 0, axis);
        long innerBytes = StaticShapes.product(x, axis + 1, x.length) * elem;
        long total = outer * fixed.length * innerBytes;
        Grid grid = Grid.stride(total, ElementwiseKernels.THREADS);
        long axisLen = x[axis];
        return new GatherKernel(indices, grid, outer, axisLen, fixed.length, innerBytes);
    }

    /** Gather through a device copy of the checked indices (a constant of the session, uploaded once). */
    private record GatherKernel(dev.kiln.tensor.Tensor indices, Grid grid, long outer, long axis, long count,
                                long innerBytes) implements CudaKernel {
        @Override
        public void launch(CudaQueue q, DeviceStep d) {
            if (outer * count * innerBytes > 0) {
                q.launch("kiln_gather", grid, new LaunchArgs().ptr(d.input(0)).ptr(q.constant(indices)).ptr(d.output(0))
                        .i64(outer).i64(axis).i64(count).i64(innerBytes));
            }
        }
    }
}

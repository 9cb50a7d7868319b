package dev.kiln.ops;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.List;

/**
 * Inference for operators that cut, extend or rearrange a tensor: Slice, Split, Tile, Pad,
 * CenterCropPad, DepthToSpace and SpaceToDepth. Dimensions come out known where the input
 * dimension and the controlling inputs (pads, starts, repeats...) are.
 */
final class LayoutInference {
    private LayoutInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(LayoutInference::slice, "Slice");
        r.onnx(LayoutInference::split, "Split");
        r.onnx(LayoutInference::tile, "Tile");
        r.onnx(LayoutInference::pad, "Pad");
        r.onnx(LayoutInference::centerCropPad, "CenterCropPad");
        r.onnx(LayoutInference::depthToSpace, "DepthToSpace");
        r.onnx(LayoutInference::spaceToDepth, "SpaceToDepth");
    }

    private static long[] longs(InferenceContext ctx, int input) {
        Tensor t = ctx.hasInput(input) ? ctx.constant(input) : null;
        return t == null ? null : t.toLongArray();
    }

    private static int axis(InferenceContext ctx, long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw ctx.fail(ctx.node().opType() + " axis " + axis + " out of range for rank " + rank);
        }
        return (int) a;
    }

    private static void slice(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        int rank = x.shape().rank();
        boolean attrs = ctx.opset() < 10;
        long[] starts = attrs ? ctx.node().attrInts("starts") : longs(ctx, 1);
        long[] ends = attrs ? ctx.node().attrInts("ends") : longs(ctx, 2);
        long[] axes = attrs ? ctx.node().attrInts("axes") : longs(ctx, 3);
        long[] steps = attrs ? null : longs(ctx, 4);
        boolean axesKnown = attrs || !ctx.hasInput(3) || axes != null;
        boolean stepsKnown = attrs || !ctx.hasInput(4) || steps != null;
        if ((starts == null || ends == null) && axes != null && stepsKnown) {
            // Bounds computed at run time: only the sliced axes become unknown.
            List<Dim> out = x.shape().toList();
            for (long a : axes) {
                out.set(axis(ctx, a, rank), Dim.UNKNOWN);
            }
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(out)));
            return;
        }
        if (starts == null || ends == null || !axesKnown || !stepsKnown) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.unknownDims(rank)));
            return;
        }
        if (starts.length != ends.length || axes != null && axes.length != starts.length
                || steps != null && steps.length != starts.length || axes == null && starts.length > rank) {
            throw ctx.fail("Slice starts, ends, axes and steps do not match (rank " + rank + ")");
        }
        List<Dim> out = x.shape().toList();
        for (int i = 0; i < starts.length; i++) {
            int a = axes == null ? i : axis(ctx, axes[i], rank);
            Dim d = out.get(a);
            long step = steps == null ? 1 : steps[i];
            if (step == 0) {
                throw ctx.fail("Slice step must not be 0");
            }
            boolean whole = step == 1 && starts[i] == 0 && ends[i] >= Integer.MAX_VALUE;
            out.set(a, d.isKnown() ? Dim.of(Shapes.slice(d.value(), starts[i], ends[i], step)[1]) : whole ? d : Dim.UNKNOWN);
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(out)));
    }

    private static void split(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        int outputs = ctx.node().outputs().size();
        if (x.shape() == null) {
            for (int i = 0; i < outputs; i++) {
                ctx.output(i, ValueType.tensor(x.dtype()));
            }
            return;
        }
        int rank = x.shape().rank();
        int a = axis(ctx, ctx.node().attrInt("axis", 0), rank);
        Dim len = x.shape().dim(a);
        boolean sizesInput = (ctx.opset() >= 13 || ctx.opset() == 1) && ctx.hasInput(1);
        long[] sizes = sizesInput ? longs(ctx, 1) : ctx.node().attrInts("split");
        if (sizes == null && !sizesInput && len.isKnown()) {
            long n = ctx.node().attrInt("num_outputs", 0) > 0 ? ctx.node().attrInt("num_outputs", 0) : outputs;
            long chunk = ctx.node().attrInt("num_outputs", 0) > 0 ? Math.ceilDiv(len.value(), n) : len.value() / n;
            sizes = new long[outputs];
            long left = len.value();
            for (int i = 0; i < outputs; i++) {
                sizes[i] = Math.min(chunk, left);
                left -= sizes[i];
            }
        }
        for (int i = 0; i < outputs; i++) {
            Dim d = sizes != null && sizes.length == outputs && sizes[i] >= 0 ? Dim.of(sizes[i]) : Dim.UNKNOWN;
            ctx.output(i, ValueType.tensor(x.dtype(), x.shape().with(a, d)));
        }
    }

    private static void tile(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        int rank = x.shape().rank();
        if (ctx.opset() < 6) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.unknownDims(rank)));
            return;
        }
        long[] reps = longs(ctx, 1);
        if (reps != null && reps.length != rank) {
            throw ctx.fail("Tile repeats has " + reps.length + " values for rank " + rank);
        }
        List<Dim> out = x.shape().toList();
        for (int i = 0; i < rank; i++) {
            Dim d = out.get(i);
            out.set(i, reps != null && reps[i] >= 0 && d.isKnown() ? Dim.of(Math.multiplyExact(d.value(), reps[i]))
                    : reps != null && reps[i] == 1 ? d : Dim.UNKNOWN);
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(out)));
    }

    private static void pad(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        int rank = x.shape().rank();
        boolean attrs = ctx.opset() < 11;
        long[] pads = attrs ? ctx.node().attrInts(ctx.opset() < 2 ? "paddings" : "pads") : longs(ctx, 1);
        long[] axes = !attrs && ctx.opset() >= 18 && ctx.hasInput(3) ? longs(ctx, 3) : allAxes(rank);
        if (pads == null || axes == null) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.unknownDims(rank)));
            return;
        }
        if (pads.length != 2 * axes.length) {
            throw ctx.fail("Pad has " + pads.length + " pads for " + axes.length + " axes");
        }
        List<Dim> out = x.shape().toList();
        for (int i = 0; i < axes.length; i++) {
            int a = axis(ctx, axes[i], rank);
            Dim d = out.get(a);
            long total = pads[i] + pads[i + axes.length];
            out.set(a, total == 0 ? d : d.isKnown() && d.value() + total >= 0 ? Dim.of(d.value() + total) : Dim.UNKNOWN);
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(out)));
    }

    private static long[] allAxes(int rank) {
        long[] a = new long[rank];
        for (int i = 0; i < rank; i++) {
            a[i] = i;
        }
        return a;
    }

    private static void centerCropPad(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        int rank = x.shape().rank();
        long[] target = longs(ctx, 1);
        long[] axes = ctx.node().attrInts("axes") != null ? ctx.node().attrInts("axes") : allAxes(rank);
        List<Dim> out = x.shape().toList();
        if (target != null && target.length != axes.length) {
            throw ctx.fail("CenterCropPad has " + target.length + " sizes for " + axes.length + " axes");
        }
        for (int i = 0; i < axes.length; i++) {
            int a = axis(ctx, axes[i], rank);
            out.set(a, target != null && target[i] >= 0 ? Dim.of(target[i]) : Dim.UNKNOWN);
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(out)));
    }

    private static void depthToSpace(InferenceContext ctx) {
        blocks(ctx, true);
    }

    private static void spaceToDepth(InferenceContext ctx) {
        blocks(ctx, false);
    }

    private static void blocks(InferenceContext ctx, boolean toSpace) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        long bs = ctx.node().attrInt("blocksize", 0);
        if (x.shape() == null || bs < 1) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.unknownDims(4)));
            return;
        }
        if (x.shape().rank() != 4) {
            throw ctx.fail(ctx.node().opType() + " input must be 4-D, got " + x.shape());
        }
        SymbolicShape s = x.shape();
        long sq = bs * bs;
        Dim c = toSpace ? divide(s.dim(1), sq) : multiply(s.dim(1), sq);
        Dim h = toSpace ? multiply(s.dim(2), bs) : divide(s.dim(2), bs);
        Dim w = toSpace ? multiply(s.dim(3), bs) : divide(s.dim(3), bs);
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(s.dim(0), c, h, w)));
    }

    private static Dim multiply(Dim d, long f) {
        return d.isKnown() ? Dim.of(Math.multiplyExact(d.value(), f)) : Dim.UNKNOWN;
    }

    private static Dim divide(Dim d, long f) {
        return d.isKnown() && d.value() % f == 0 ? Dim.of(d.value() / f) : Dim.UNKNOWN;
    }
}

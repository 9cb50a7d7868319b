package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Inference for neural-network operators: convolution, pooling, normalization, resize. */
final class NnInference {
    private NnInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(NnInference::conv, "Conv", "ConvInteger", "QLinearConv");
        r.onnx(NnInference::pool, "MaxPool", "AveragePool", "LpPool");
        r.onnx(NnInference::globalPool, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool");
        r.onnx(ElementwiseInference::sameAsInput0, "BatchNormalization", "GroupNormalization", "LpNormalization",
                "SwiGLU");
        r.onnx(NnInference::rmsNorm, "RMSNormalization");
        r.onnx(NnInference::layerNorm, "LayerNormalization");
        r.onnx(NnInference::resize, "Resize");
    }

    static void conv(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        boolean q = ctx.node().opType().equals("QLinearConv");
        TensorType w = ctx.tensorType(q ? 3 : 1);
        if (x == null) {
            return;
        }
        DType out = switch (ctx.node().opType()) {
            case "ConvInteger" -> DType.INT32;
            case "QLinearConv" -> ctx.tensorType(7) != null ? ctx.tensorType(7).dtype() : x.dtype();
            default -> x.dtype();
        };
        if (x.shape() == null || w == null || w.shape() == null) {
            ctx.output(0, ValueType.tensor(out));
            return;
        }
        if (x.shape().rank() < 3 || w.shape().rank() < 1) {
            throw ctx.fail("the input " + x + " and weights " + w + " need ranks of at least 3 and 1 (N, C, spatial axes)");
        }
        List<Dim> dims = new ArrayList<>();
        dims.add(x.shape().dim(0));
        dims.add(w.shape().dim(0));
        windowDims(ctx, x.shape(), w.shape(), 2, dims);
        ctx.output(0, ValueType.tensor(out, dims == null ? null : SymbolicShape.of(dims)));
    }

    private static void pool(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        if (x.shape().rank() < 3) {
            throw ctx.fail("the input " + x + " needs a rank of at least 3 (N, C, spatial axes)");
        }
        List<Dim> dims = new ArrayList<>();
        dims.add(x.shape().dim(0));
        dims.add(x.shape().dim(1));
        windowDims(ctx, x.shape(), null, 2, dims);
        SymbolicShape s = SymbolicShape.of(dims);
        ctx.output(0, ValueType.tensor(x.dtype(), s));
        if (ctx.node().outputs().size() > 1) {
            ctx.output(1, ValueType.tensor(DType.INT64, s));
        }
    }

    /** Window attributes hold one value per spatial axis (pads two); a hostile model may say otherwise. */
    private static void requireLength(InferenceContext ctx, String attr, long[] values, int expected) {
        if (values != null && values.length != expected) {
            throw ctx.fail(attr + " has " + values.length + " values where the input's spatial axes need " + expected);
        }
    }

    /** Appends the spatial output dims of a conv or pool; unknown when any input is. */
    private static void windowDims(InferenceContext ctx, SymbolicShape x, SymbolicShape w, int first, List<Dim> out) {
        int spatial = x.rank() - first;
        if (spatial < 0) {
            throw ctx.fail("an input of rank " + x.rank() + " has no spatial axes");
        }
        long[] kernel = ctx.node().attrInts("kernel_shape");
        long[] strides = ctx.node().attrInts("strides");
        long[] dilations = ctx.node().attrInts("dilations");
        long[] pads = ctx.node().attrInts("pads");
        String autoPad = ctx.node().attrString("auto_pad", "NOTSET");
        boolean ceil = ctx.node().attrInt("ceil_mode", 0) != 0;
        requireLength(ctx, "kernel_shape", kernel, spatial);
        requireLength(ctx, "strides", strides, spatial);
        requireLength(ctx, "dilations", dilations, spatial);
        requireLength(ctx, "pads", pads, 2 * spatial);
        for (int i = 0; i < spatial; i++) {
            Dim in = x.dim(first + i);
            long k;
            if (kernel != null) {
                k = kernel[i];
            } else if (w != null && w.rank() == x.rank() && w.dim(first + i).isKnown()) {
                k = w.dim(first + i).value();
            } else {
                out.add(Dim.UNKNOWN);
                continue;
            }
            long s = strides == null ? 1 : strides[i];
            long d = dilations == null ? 1 : dilations[i];
            if (!in.isKnown()) {
                out.add(Dim.UNKNOWN);
                continue;
            }
            try {
                if (autoPad.equals("VALID")) {
                    out.add(Dim.of(Shapes.windowOutput(in.value(), k, s, d, 0, 0, false)));
                } else if (autoPad.startsWith("SAME")) {
                    out.add(Dim.of(Math.ceilDiv(in.value(), s)));
                } else {
                    long pb = pads == null ? 0 : pads[i];
                    long pe = pads == null ? 0 : pads[i + spatial];
                    out.add(Dim.of(Shapes.windowOutput(in.value(), k, s, d, pb, pe, ceil)));
                }
            } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                throw ctx.fail("spatial axis " + i + ": " + e.getMessage());
            }
        }
    }

    private static void globalPool(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < x.shape().rank(); i++) {
            dims.add(i < 2 ? x.shape().dim(i) : Dim.of(1));
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
    }

    private static void layerNorm(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        ctx.output(0, x);
        if (x.shape() == null) {
            return;
        }
        int rank = x.shape().rank();
        long a = ctx.node().attrInt("axis", -1);
        int axis = (int) (a < 0 ? a + rank : a);
        List<Dim> reduced = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            reduced.add(i < axis ? x.shape().dim(i) : Dim.of(1));
        }
        long st = ctx.node().attrInt("stash_type", 1);
        DType stash = DType.fromCode((int) st);
        ValueType stats = ValueType.tensor(stash == null ? DType.FLOAT : stash, SymbolicShape.of(reduced));
        ctx.output(1, stats);
        ctx.output(2, stats);
    }

    /** X's shape in the scale's type (the two may differ). */
    private static void rmsNorm(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType scale = ctx.tensorType(1);
        if (x != null) {
            ctx.output(0, ValueType.tensor(scale != null ? scale.dtype() : x.dtype(), x.shape()));
        }
    }

    private static void resize(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        Tensor sizes = ctx.node().inputs().size() > 3 ? ctx.constant(3) : null;
        if (sizes != null && sizes.size() > 0 && ctx.node().attrInts("axes") == null) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.known(sizes.toLongArray())));
            return;
        }
        Tensor scales = ctx.constant(ctx.opset() >= 11 ? 2 : 1);
        if (scales != null && scales.size() > 0 && x.shape() != null && x.shape().isKnown()
                && ctx.node().attrInts("axes") == null && scales.size() == x.shape().rank()) {
            long[] in = x.shape().toShape().dims();
            long[] out = new long[in.length];
            for (int i = 0; i < in.length; i++) {
                out[i] = (long) Math.floor(in[i] * scales.getDouble(i));
            }
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.known(out)));
            return;
        }
        ctx.output(0, ValueType.tensor(x.dtype(), x.shape() == null ? null : SymbolicShape.unknownDims(x.shape().rank())));
    }
}

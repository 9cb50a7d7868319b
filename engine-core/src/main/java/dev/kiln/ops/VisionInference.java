package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference for sampling, detection and the less common convolution-family operators:
 * GridSample, AffineGrid, RoiAlign, MaxRoiPool, NonMaxSuppression, MaxUnpool, Col2Im and
 * DeformConv.
 */
final class VisionInference {
    private VisionInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(VisionInference::gridSample, "GridSample");
        r.onnx(VisionInference::affineGrid, "AffineGrid");
        r.onnx(VisionInference::roiAlign, "RoiAlign");
        r.onnx(VisionInference::maxRoiPool, "MaxRoiPool");
        r.onnx(ctx -> ctx.output(0, ValueType.tensor(DType.INT64, SymbolicShape.of(Dim.UNKNOWN, Dim.of(3)))),
                "NonMaxSuppression");
        r.onnx(VisionInference::maxUnpool, "MaxUnpool");
        r.onnx(VisionInference::col2im, "Col2Im");
        r.onnx(VisionInference::deformConv, "DeformConv");
    }

    /** (N, C, grid's spatial dims). */
    private static void gridSample(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType grid = ctx.tensorType(1);
        if (x == null) {
            return;
        }
        if (x.shape() == null || grid == null || grid.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        List<Dim> dims = new ArrayList<>();
        dims.add(x.shape().dim(0));
        dims.add(x.shape().dim(1));
        for (int i = 1; i < grid.shape().rank() - 1; i++) {
            dims.add(grid.shape().dim(i));
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
    }

    /** (N, spatial..., r) from a constant size (N, C, spatial...). */
    private static void affineGrid(InferenceContext ctx) {
        TensorType theta = ctx.tensorType(0);
        if (theta == null) {
            return;
        }
        Tensor size = ctx.constant(1);
        if (size == null) {
            ctx.output(0, ValueType.tensor(theta.dtype()));
            return;
        }
        long[] s = size.toLongArray();
        long[] out = new long[s.length];
        out[0] = s[0];
        System.arraycopy(s, 2, out, 1, s.length - 2);
        out[s.length - 1] = s.length - 2;
        ctx.output(0, ValueType.tensor(theta.dtype(), SymbolicShape.known(out)));
    }

    /** (num_rois, C, output_height, output_width). */
    private static void roiAlign(InferenceContext ctx) {
        pooledRois(ctx, Dim.of(ctx.node().attrInt("output_height", 1)), Dim.of(ctx.node().attrInt("output_width", 1)));
    }

    private static void maxRoiPool(InferenceContext ctx) {
        long[] pooled = ctx.node().attrInts("pooled_shape");
        if (pooled == null || pooled.length != 2) {
            throw ctx.fail("MaxRoiPool needs a two-element pooled_shape");
        }
        pooledRois(ctx, Dim.of(pooled[0]), Dim.of(pooled[1]));
    }

    private static void pooledRois(InferenceContext ctx, Dim h, Dim w) {
        TensorType x = ctx.tensorType(0);
        TensorType rois = ctx.tensorType(1);
        if (x == null) {
            return;
        }
        Dim n = rois != null && rois.shape() != null && rois.shape().rank() == 2 ? rois.shape().dim(0) : Dim.UNKNOWN;
        Dim c = x.shape() != null && x.shape().rank() == 4 ? x.shape().dim(1) : Dim.UNKNOWN;
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(n, c, h, w)));
    }

    /** The output shape input when constant, else (N, C, (in - 1) * stride + kernel - pads). */
    private static void maxUnpool(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        Tensor outShape = ctx.inputCount() > 2 ? ctx.constant(2) : null;
        if (outShape != null) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.known(outShape.toLongArray())));
            return;
        }
        if (ctx.hasInput(2) || x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype(), x.shape() == null ? null : SymbolicShape.unknownDims(x.shape().rank())));
            return;
        }
        long[] kernel = ctx.node().attrInts("kernel_shape");
        long[] strides = ctx.node().attrInts("strides");
        long[] pads = ctx.node().attrInts("pads");
        int n = x.shape().rank() - 2;
        if (kernel == null || kernel.length != n) {
            throw ctx.fail("MaxUnpool needs kernel_shape for each spatial axis");
        }
        List<Dim> dims = new ArrayList<>(x.shape().dims().subList(0, 2));
        for (int i = 0; i < n; i++) {
            Dim in = x.shape().dim(i + 2);
            long s = strides == null ? 1 : strides[i];
            long p = pads == null ? 0 : pads[i] + pads[i + n];
            dims.add(in.isKnown() ? Dim.of((in.value() - 1) * s + kernel[i] - p) : Dim.UNKNOWN);
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
    }

    /** (N, C, image_shape...) with C = input channels / block size, when both shapes are constant. */
    private static void col2im(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        Tensor image = ctx.constant(1);
        Tensor block = ctx.constant(2);
        if (image == null || block == null || x.shape() == null || x.shape().rank() != 3) {
            ctx.output(0, ValueType.tensor(x.dtype(), image == null ? null : SymbolicShape.unknownDims((int) image.size() + 2)));
            return;
        }
        long taps = 1;
        for (long b : block.toLongArray()) {
            taps *= b;
        }
        List<Dim> dims = new ArrayList<>();
        dims.add(x.shape().dim(0));
        Dim cb = x.shape().dim(1);
        dims.add(cb.isKnown() && taps > 0 ? Dim.of(cb.value() / taps) : Dim.UNKNOWN);
        for (long v : image.toLongArray()) {
            dims.add(Dim.of(v));
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
    }

    /** Like Conv: (N, M, window outputs...) without auto_pad or ceil mode. */
    private static void deformConv(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType w = ctx.tensorType(1);
        if (x == null) {
            return;
        }
        if (x.shape() == null || w == null || w.shape() == null || w.shape().rank() != x.shape().rank()) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        int n = x.shape().rank() - 2;
        long[] kernel = ctx.node().attrInts("kernel_shape");
        long[] strides = ctx.node().attrInts("strides");
        long[] dil = ctx.node().attrInts("dilations");
        long[] pads = ctx.node().attrInts("pads");
        List<Dim> dims = new ArrayList<>();
        dims.add(x.shape().dim(0));
        dims.add(w.shape().dim(0));
        for (int i = 0; i < n; i++) {
            Dim in = x.shape().dim(i + 2);
            Dim kd = kernel != null ? Dim.of(kernel[i]) : w.shape().dim(i + 2);
            if (!in.isKnown() || !kd.isKnown()) {
                dims.add(Dim.UNKNOWN);
                continue;
            }
            try {
                dims.add(Dim.of(Shapes.windowOutput(in.value(), kd.value(), strides == null ? 1 : strides[i],
                        dil == null ? 1 : dil[i], pads == null ? 0 : pads[i], pads == null ? 0 : pads[i + n], false)));
            } catch (IllegalArgumentException e) {
                throw ctx.fail("spatial axis " + i + ": " + e.getMessage());
            }
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
    }
}

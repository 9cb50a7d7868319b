package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.List;

/**
 * Inference for operators that make or transform signals: DFT, STFT, the windows,
 * MelWeightMatrix, EyeLike and Range.
 */
final class SignalInference {
    private SignalInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(SignalInference::dft, "DFT");
        r.onnx(SignalInference::stft, "STFT");
        r.onnx(SignalInference::window, "HannWindow", "HammingWindow", "BlackmanWindow");
        r.onnx(SignalInference::melWeightMatrix, "MelWeightMatrix");
        r.onnx(SignalInference::eyeLike, "EyeLike");
        r.onnx(SignalInference::range, "Range");
    }

    private static Long scalar(InferenceContext ctx, int input) {
        Tensor t = ctx.hasInput(input) ? ctx.constant(input) : null;
        return t == null || t.size() != 1 ? null : t.getLong(0);
    }

    private static Dim dim(Long v) {
        return v == null || v < 0 ? Dim.UNKNOWN : Dim.of(v);
    }

    private static void dft(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        int rank = x.shape().rank();
        boolean inverse = ctx.node().attrInt("inverse", 0) != 0;
        boolean onesided = ctx.node().attrInt("onesided", 0) != 0;
        Long axisValue = ctx.opset() >= 20 ? (ctx.hasInput(2) ? scalar(ctx, 2) : Long.valueOf(-2))
                : Long.valueOf(ctx.node().attrInt("axis", 1));
        if (axisValue == null) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.unknownDims(rank)));
            return;
        }
        long a = axisValue < 0 ? axisValue + rank : axisValue;
        if (rank < 2 || a < 0 || a > rank - 2) {
            throw ctx.fail("DFT axis " + axisValue + " out of range for input " + x.shape());
        }
        int axis = (int) a;
        Dim in = x.shape().dim(axis);
        Dim len;
        if (ctx.hasInput(1)) {
            len = dim(scalar(ctx, 1));
        } else if (onesided && inverse) {
            len = in.isKnown() ? Dim.of(Math.max(0, 2 * (in.value() - 1))) : Dim.UNKNOWN;
        } else {
            len = in;
        }
        Dim bins = onesided && !inverse ? (len.isKnown() ? Dim.of(len.value() / 2 + 1) : Dim.UNKNOWN) : len;
        List<Dim> out = x.shape().toList();
        out.set(axis, bins);
        out.set(rank - 1, Dim.of(onesided && inverse ? 1 : 2));
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(out)));
    }

    private static void stft(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        boolean onesided = ctx.node().attrInt("onesided", 1) != 0;
        Long step = scalar(ctx, 1);
        Long frame = scalar(ctx, 3);
        TensorType w = ctx.tensorType(2);
        if (frame == null && ctx.hasInput(2) && w != null && w.shape() != null && w.shape().rank() == 1
                && w.shape().dim(0).isKnown()) {
            frame = w.shape().dim(0).value();
        }
        Dim batch = Dim.UNKNOWN;
        Dim frames = Dim.UNKNOWN;
        if (x.shape() != null && x.shape().rank() == 3) {
            batch = x.shape().dim(0);
            Dim length = x.shape().dim(1);
            if (length.isKnown() && step != null && step > 0 && frame != null && frame <= length.value()) {
                frames = Dim.of((length.value() - frame) / step + 1);
            }
        }
        Dim bins = frame == null ? Dim.UNKNOWN : Dim.of(onesided ? frame / 2 + 1 : frame);
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(batch, frames, bins, Dim.of(2))));
    }

    private static DType outputType(InferenceContext ctx) {
        DType t = DType.fromCode((int) ctx.node().attrInt("output_datatype", DType.FLOAT.code()));
        if (t == null || !(t.isFloat() || t.isInteger())) {
            throw ctx.fail(ctx.node().opType() + " output_datatype is not a numeric type");
        }
        return t;
    }

    private static void window(InferenceContext ctx) {
        ctx.output(0, ValueType.tensor(outputType(ctx), SymbolicShape.of(dim(scalar(ctx, 0)))));
    }

    private static void melWeightMatrix(InferenceContext ctx) {
        Long length = scalar(ctx, 1);
        Dim spectrum = length == null || length < 0 ? Dim.UNKNOWN : Dim.of(length / 2 + 1);
        ctx.output(0, ValueType.tensor(outputType(ctx), SymbolicShape.of(spectrum, dim(scalar(ctx, 0)))));
    }

    private static void eyeLike(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        long code = ctx.node().attrInt("dtype", -1);
        DType t = code >= 0 ? DType.fromCode((int) code) : x == null ? null : x.dtype();
        if (t == null) {
            return;
        }
        ctx.output(0, ValueType.tensor(t, x == null || x.shape() == null ? SymbolicShape.unknownDims(2) : x.shape()));
    }

    private static void range(InferenceContext ctx) {
        TensorType start = ctx.tensorType(0);
        if (start != null) {
            ctx.output(0, ValueType.tensor(start.dtype(), SymbolicShape.unknownDims(1)));
        }
    }
}

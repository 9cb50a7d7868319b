package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;

/** Inference for QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: the input's shape, a new type. */
final class QuantizeInference {
    private QuantizeInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(QuantizeInference::quantize, "QuantizeLinear");
        r.onnx(QuantizeInference::dequantize, "DequantizeLinear");
        r.onnx(QuantizeInference::dynamic, "DynamicQuantizeLinear");
    }

    /** The zero point's type, else output_dtype, else uint8. */
    private static void quantize(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType zp = ctx.inputCount() > 2 ? ctx.tensorType(2) : null;
        DType attr = outputDtype(ctx);
        DType out = zp != null ? zp.dtype() : attr != null ? attr : DType.UINT8;
        ctx.output(0, ValueType.tensor(out, x == null ? null : x.shape()));
    }

    /** output_dtype, else the scale's type. */
    private static void dequantize(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType scale = ctx.tensorType(1);
        DType attr = outputDtype(ctx);
        DType out = attr != null ? attr : scale != null ? scale.dtype() : null;
        if (out != null) {
            ctx.output(0, ValueType.tensor(out, x == null ? null : x.shape()));
        }
    }

    /** The {@code output_dtype} attribute, or {@code null} when absent (0 means unset). */
    private static DType outputDtype(InferenceContext ctx) {
        DType t = DType.fromCode((int) ctx.node().attrInt("output_dtype", 0));
        return t == DType.UNDEFINED ? null : t;
    }

    private static void dynamic(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        ctx.output(0, ValueType.tensor(DType.UINT8, x == null ? null : x.shape()));
        ctx.output(1, ValueType.tensor(DType.FLOAT, SymbolicShape.of()));
        ctx.output(2, ValueType.tensor(DType.UINT8, SymbolicShape.of()));
    }
}

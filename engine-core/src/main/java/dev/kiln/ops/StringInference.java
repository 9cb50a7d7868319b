package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Inference for the string operators and ImageDecoder. */
final class StringInference {
    private StringInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(StringInference::normalizer, "StringNormalizer");
        r.onnx(StringInference::concat, "StringConcat");
        r.onnx(StringInference::split, "StringSplit");
        r.onnx(ctx -> {
            TensorType t = ctx.tensorType(0);
            ctx.output(0, ValueType.tensor(DType.BOOL, t == null ? null : t.shape()));
        }, "RegexFullMatch");
        r.onnx(ctx -> ctx.output(0, ValueType.tensor(DType.UINT8, SymbolicShape.of(Dim.UNKNOWN, Dim.UNKNOWN,
                Dim.of(ctx.node().attrString("pixel_format", "RGB").equals("Grayscale") ? 1 : 3)))), "ImageDecoder");
    }

    private static void normalizer(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        // Stop words may remove any number of elements: only the leading 1 of a [1, C] input is known.
        SymbolicShape s = t == null || t.shape() == null ? null : t.shape().rank() == 2
                ? SymbolicShape.of(Dim.of(1), Dim.UNKNOWN) : SymbolicShape.unknownDims(t.shape().rank());
        ctx.output(0, ValueType.tensor(DType.STRING, s));
    }

    private static void concat(InferenceContext ctx) {
        TensorType a = ctx.tensorType(0);
        TensorType b = ctx.tensorType(1);
        SymbolicShape s = null;
        if (a != null && b != null) {
            try {
                s = Shapes.broadcast(a.shape(), b.shape());
            } catch (IllegalArgumentException e) {
                throw ctx.fail(e.getMessage());
            }
        }
        ctx.output(0, ValueType.tensor(DType.STRING, s));
    }

    private static void split(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null || t.shape() == null) {
            ctx.output(0, ValueType.tensor(DType.STRING));
            ctx.output(1, ValueType.tensor(DType.INT64));
            return;
        }
        List<Dim> dims = new ArrayList<>(t.shape().dims());
        dims.add(Dim.UNKNOWN);
        ctx.output(0, ValueType.tensor(DType.STRING, SymbolicShape.of(dims)));
        ctx.output(1, ValueType.tensor(DType.INT64, t.shape()));
    }
}

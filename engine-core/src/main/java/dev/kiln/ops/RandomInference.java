package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;

/** Inference for the random operators: types from the dtype attribute or the input, shapes from either. */
final class RandomInference {
    private RandomInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(RandomInference::fromAttributes, "RandomUniform", "RandomNormal");
        r.onnx(RandomInference::like, "RandomUniformLike", "RandomNormalLike", "Bernoulli");
        r.onnx(RandomInference::multinomial, "Multinomial");
    }

    private static void fromAttributes(InferenceContext ctx) {
        DType dtype = DType.fromCode((int) ctx.node().attrInt("dtype", DType.FLOAT.code()));
        long[] shape = ctx.node().attrInts("shape");
        if (dtype != null && shape != null) {
            ctx.output(0, ValueType.tensor(dtype, Shape.of(shape)));
        }
    }

    private static void like(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        DType dtype = ctx.node().attribute("dtype") != null ? DType.fromCode((int) ctx.node().attrInt("dtype", 0))
                : t == null ? null : t.dtype();
        if (dtype != null) {
            ctx.output(0, ValueType.tensor(dtype, t == null ? null : t.shape()));
        }
    }

    private static void multinomial(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        DType dtype = DType.fromCode((int) ctx.node().attrInt("dtype", DType.INT32.code()));
        Dim batch = t != null && t.shape() != null && t.shape().rank() == 2 ? t.shape().dim(0) : Dim.UNKNOWN;
        if (dtype != null) {
            ctx.output(0, ValueType.tensor(dtype, SymbolicShape.of(batch, Dim.of(ctx.node().attrInt("sample_size", 1)))));
        }
    }
}

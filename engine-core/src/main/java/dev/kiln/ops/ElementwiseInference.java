package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;

/** Inference for elementwise operators: unary, broadcasting binary and variadic, comparisons, Cast. */
final class ElementwiseInference {
    private ElementwiseInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(ElementwiseInference::sameAsInput0,
                "Abs", "Neg", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sqrt", "Exp", "Log", "Sin", "Cos",
                "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf", "Relu",
                "LeakyRelu", "PRelu", "ThresholdedRelu", "Selu", "Elu", "Celu", "Gelu", "Mish", "Sigmoid",
                "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Tanh", "Swish", "Clip", "Identity", "BitwiseNot",
                "Shrink", "Softmax", "LogSoftmax", "Hardmax", "LRN", "MeanVarianceNormalization",
                "InstanceNormalization", "CumSum", "ReverseSequence", "Trilu");
        r.onnx(ElementwiseInference::broadcastLikeInput0,
                "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
                "Sum", "Mean", "Max", "Min");
        r.onnx(ElementwiseInference::broadcastBool,
                "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor");
        r.onnx(ElementwiseInference::unaryBool, "Not", "IsNaN", "IsInf");
        r.onnx(ElementwiseInference::where, "Where");
        r.onnx(ElementwiseInference::cast, "Cast");
        r.onnx(ElementwiseInference::bitCast, "BitCast");
        r.onnx(ElementwiseInference::castLike, "CastLike");
        r.onnx(ElementwiseInference::dropout, "Dropout");
    }

    static void sameAsInput0(InferenceContext ctx) {
        ValueType t = ctx.inputType(0);
        if (t != null) {
            ctx.output(0, t);
        }
    }

    private static void broadcastLikeInput0(InferenceContext ctx) {
        broadcast(ctx, null);
    }

    private static void broadcastBool(InferenceContext ctx) {
        broadcast(ctx, DType.BOOL);
    }

    private static void broadcast(InferenceContext ctx, DType outType) {
        TensorType first = null;
        SymbolicShape[] shapes = new SymbolicShape[ctx.inputCount()];
        for (int i = 0; i < shapes.length; i++) {
            TensorType t = ctx.tensorType(i);
            if (t == null) {
                shapes[i] = null;
                continue;
            }
            if (first == null) {
                first = t;
            }
            shapes[i] = t.shape();
        }
        if (first == null) {
            if (outType != null) {
                ctx.output(0, ValueType.tensor(outType));
            }
            return;
        }
        SymbolicShape out;
        try {
            out = Shapes.broadcast(shapes);
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
        ctx.output(0, ValueType.tensor(outType != null ? outType : first.dtype(), out));
    }

    private static void unaryBool(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        ctx.output(0, ValueType.tensor(DType.BOOL, t == null ? null : t.shape()));
    }

    private static void where(InferenceContext ctx) {
        TensorType c = ctx.tensorType(0);
        TensorType x = ctx.tensorType(1);
        TensorType y = ctx.tensorType(2);
        if (x == null && y == null) {
            return;
        }
        DType dt = x != null ? x.dtype() : y.dtype();
        SymbolicShape s = c == null || x == null || y == null ? null
                : broadcastOrFail(ctx, c.shape(), x.shape(), y.shape());
        ctx.output(0, ValueType.tensor(dt, s));
    }

    private static SymbolicShape broadcastOrFail(InferenceContext ctx, SymbolicShape... s) {
        try {
            return Shapes.broadcast(s);
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
    }

    private static void cast(InferenceContext ctx) {
        DType to = null;
        if (ctx.node().attribute("to") instanceof dev.kiln.graph.Attribute.StringAttr s) {
            // Before opset 6 the target is named ("FLOAT"), not numbered.
            for (DType d : DType.values()) {
                if (d.name().equalsIgnoreCase(s.value())) {
                    to = d;
                }
            }
        } else {
            to = DType.fromCode((int) ctx.node().attrInt("to", 0));
        }
        if (to == null || to == DType.UNDEFINED) {
            throw ctx.fail("Cast has no valid 'to' attribute");
        }
        TensorType t = ctx.tensorType(0);
        ctx.output(0, ValueType.tensor(to, t == null ? null : t.shape()));
    }

    private static void bitCast(InferenceContext ctx) {
        DType to = DType.fromCode((int) ctx.node().attrInt("to", 0));
        TensorType t = ctx.tensorType(0);
        if (to == null || to == DType.UNDEFINED || to == DType.STRING) {
            throw ctx.fail("BitCast needs a non-string 'to' type");
        }
        if (t != null && t.dtype().bits() != to.bits()) {
            throw ctx.fail("BitCast from " + t.dtype() + " to " + to + ": the bit widths differ");
        }
        ctx.output(0, ValueType.tensor(to, t == null ? null : t.shape()));
    }

    private static void castLike(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        TensorType like = ctx.tensorType(1);
        if (like != null) {
            ctx.output(0, ValueType.tensor(like.dtype(), t == null ? null : t.shape()));
        }
    }

    private static void dropout(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t != null) {
            ctx.output(0, t);
            // The mask is bool from opset 10; before, it has the input's type.
            ctx.output(1, ValueType.tensor(ctx.opset() < 10 ? t.dtype() : DType.BOOL, t.shape()));
        }
    }
}

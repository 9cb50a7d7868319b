package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.function.DoublePredicate;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Elementwise functions of one tensor: math, activations, tests (IsNaN, IsInf), Not, Clip.
 * Floating types compute in double and round once; integer types use exact long arithmetic
 * where the operator is defined for them.
 */
final class UnaryKernels {
    private UnaryKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ctx -> unsignedAware(Math::abs, Math::abs, x -> x), "Abs");
        math(r, "Neg", x -> -x, x -> -x);
        r.onnx(ctx -> unsignedAware(Math::signum, Long::signum, x -> x == 0 ? 0 : 1), "Sign");
        math(r, "Reciprocal", x -> 1 / x, null);
        math(r, "Floor", Math::floor, null);
        math(r, "Ceil", Math::ceil, null);
        math(r, "Round", Math::rint, null);
        math(r, "Sqrt", Math::sqrt, null);
        math(r, "Exp", Math::exp, null);
        math(r, "Log", Math::log, null);
        math(r, "Sin", Math::sin, null);
        math(r, "Cos", Math::cos, null);
        math(r, "Tan", Math::tan, null);
        math(r, "Asin", Math::asin, null);
        math(r, "Acos", Math::acos, null);
        math(r, "Atan", Math::atan, null);
        math(r, "Sinh", Math::sinh, null);
        math(r, "Cosh", Math::cosh, null);
        math(r, "Asinh", x -> Double.isInfinite(x) ? x : Math.log(x + Math.sqrt(x * x + 1)), null);
        math(r, "Acosh", x -> Math.log(x + Math.sqrt(x * x - 1)), null);
        math(r, "Atanh", x -> 0.5 * Math.log((1 + x) / (1 - x)), null);
        math(r, "Erf", SpecialFunctions::erf, null);
        math(r, "Sigmoid", UnaryKernels::sigmoid, null);
        math(r, "Tanh", Math::tanh, null);
        math(r, "Relu", x -> Math.max(0.0, x), x -> Math.max(0, x));
        math(r, "Softplus", x -> x > 30 ? x : Math.log1p(Math.exp(x)), null);
        math(r, "Softsign", x -> x / (1 + Math.abs(x)), null);
        math(r, "HardSwish", x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)), null);
        math(r, "Mish", x -> x * Math.tanh(x > 30 ? x : Math.log1p(Math.exp(x))), null);
        withAttrs(r, "LeakyRelu", n -> {
            double alpha = n.attrFloat("alpha", 0.01f);
            return x -> x < 0 ? alpha * x : x;
        });
        withAttrs(r, "Elu", n -> {
            double alpha = n.attrFloat("alpha", 1f);
            return x -> x < 0 ? alpha * (Math.exp(x) - 1) : x;
        });
        withAttrs(r, "Selu", n -> {
            double alpha = n.attrFloat("alpha", 1.67326319217681884765625f);
            double gamma = n.attrFloat("gamma", 1.05070102214813232421875f);
            return x -> x > 0 ? gamma * x : gamma * (alpha * Math.exp(x) - alpha);
        });
        withAttrs(r, "Celu", n -> {
            double alpha = n.attrFloat("alpha", 1f);
            return x -> Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1));
        });
        withAttrs(r, "ThresholdedRelu", n -> {
            double alpha = n.attrFloat("alpha", 1f);
            return x -> x > alpha ? x : 0;
        });
        withAttrs(r, "HardSigmoid", n -> {
            double alpha = n.attrFloat("alpha", 0.2f);
            double beta = n.attrFloat("beta", 0.5f);
            return x -> Math.max(0, Math.min(1, alpha * x + beta));
        });
        withAttrs(r, "Shrink", n -> {
            double lambd = n.attrFloat("lambd", 0.5f);
            double bias = n.attrFloat("bias", 0f);
            return x -> x < -lambd ? x + bias : x > lambd ? x - bias : 0;
        });
        withAttrs(r, "Gelu", n -> {
            if (n.attrString("approximate", "none").equals("tanh")) {
                double c = Math.sqrt(2 / Math.PI);
                return x -> 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)));
            }
            return x -> 0.5 * x * (1 + SpecialFunctions.erf(x / Math.sqrt(2)));
        });
        withAttrs(r, "Swish", n -> {
            double alpha = n.attrFloat("alpha", 1f);
            return x -> x * sigmoid(alpha * x);
        });
        predicate(r, "IsNaN", ctx -> Double::isNaN);
        predicate(r, "IsInf", ctx -> {
            boolean neg = ctx.node().attrInt("detect_negative", 1) != 0;
            boolean pos = ctx.node().attrInt("detect_positive", 1) != 0;
            return x -> Double.isInfinite(x) && (x > 0 ? pos : neg);
        });
        r.onnx(ctx -> UnaryKernels::not, "Not");
        r.onnx(ctx -> mapping(null, x -> ~x), "BitwiseNot");
        r.onnx(UnaryKernels::clip, "Clip");
    }

    /** The floating-point function of each operator registered here, for fused kernels that inline it. */
    private static final java.util.Map<String, java.util.function.Function<Node, DoubleUnaryOperator>> FUNCTIONS =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The function operator node {@code n} applies to floating-point elements (as this family's
     * kernel computes it), or {@code null} when it is not one of this family's math operators.
     */
    static DoubleUnaryOperator function(Node n) {
        var f = FUNCTIONS.get(n.opType());
        return f == null || !n.domain().isEmpty() ? null : f.apply(n);
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    private static void math(KernelRegistry r, String op, DoubleUnaryOperator f, LongUnaryOperator integer) {
        FUNCTIONS.put(op, n -> f);
        r.onnx(ctx -> mapping(f, integer), op);
    }

    private static void withAttrs(KernelRegistry r, String op, java.util.function.Function<Node, DoubleUnaryOperator> f) {
        FUNCTIONS.put(op, f);
        r.onnx(ctx -> mapping(f.apply(ctx.node()), null), op);
    }

    private static void predicate(KernelRegistry r, String op, java.util.function.Function<BindContext, DoublePredicate> f) {
        r.onnx(ctx -> {
            DoublePredicate p = f.apply(ctx);
            return k -> {
                Tensor x = k.tensor(0);
                Tensor y = k.allocate(0, DType.BOOL, x.shape());
                for (long i = 0; i < x.size(); i++) {
                    y.setLong(i, p.test(x.getDouble(i)) ? 1 : 0);
                }
            };
        }, op);
    }

    /**
     * A kernel with a separate function for unsigned types, whose uint64 values above
     * {@code Long.MAX_VALUE} read as negative longs.
     */
    private static Kernel unsignedAware(DoubleUnaryOperator f, LongUnaryOperator signed, LongUnaryOperator unsigned) {
        return ctx -> {
            Tensor x = ctx.tensor(0);
            Tensor y = ctx.allocate(0, x.dtype(), x.shape());
            apply(x, y, f, x.dtype().kind() == DType.Kind.UNSIGNED ? unsigned : signed, ctx);
        };
    }

    /** A kernel applying {@code f} to floating types and {@code integer} (when given) to integer types. */
    static Kernel mapping(DoubleUnaryOperator f, LongUnaryOperator integer) {
        return ctx -> {
            Tensor x = ctx.tensor(0);
            Tensor y = ctx.allocate(0, x.dtype(), x.shape());
            apply(x, y, f, integer, ctx);
        };
    }

    static void apply(Tensor x, Tensor y, DoubleUnaryOperator f, LongUnaryOperator integer, KernelContext ctx) {
        long n = x.size();
        if (x.dtype() == DType.FLOAT && f != null) {
            for (long i = 0; i < n; i++) {
                y.setFloat(i, (float) f.applyAsDouble(x.getFloat(i)));
            }
        } else if (x.dtype().isFloat() && f != null) {
            for (long i = 0; i < n; i++) {
                y.setDouble(i, f.applyAsDouble(x.getDouble(i)));
            }
        } else if ((x.dtype().isInteger() || x.dtype() == DType.BOOL) && integer != null) {
            for (long i = 0; i < n; i++) {
                y.setLong(i, integer.applyAsLong(x.getLong(i)));
            }
        } else if (x.dtype().isInteger() && f != null) {
            for (long i = 0; i < n; i++) {
                y.setLong(i, (long) f.applyAsDouble(x.getDouble(i)));
            }
        } else {
            throw new IllegalArgumentException(ctx.node().opType() + " is not defined for " + x.dtype() + " tensors");
        }
    }

    private static void not(KernelContext ctx) {
        Tensor x = ctx.tensor(0);
        Tensor y = ctx.allocate(0, DType.BOOL, x.shape());
        for (long i = 0; i < x.size(); i++) {
            y.setLong(i, x.getLong(i) == 0 ? 1 : 0);
        }
    }

    /** Clip: bounds are attributes before opset 11, optional inputs since. */
    private static Kernel clip(BindContext b) {
        boolean attrs = b.opset() < 11;
        float attrMin = b.node().attrFloat("min", Float.NEGATIVE_INFINITY);
        float attrMax = b.node().attrFloat("max", Float.POSITIVE_INFINITY);
        return ctx -> {
            Tensor x = ctx.tensor(0);
            Tensor y = ctx.allocate(0, x.dtype(), x.shape());
            if (x.dtype().isFloat()) {
                double lo = attrs ? attrMin : ctx.hasInput(1) ? ctx.tensor(1).getDouble(0) : Double.NEGATIVE_INFINITY;
                double hi = attrs ? attrMax : ctx.hasInput(2) ? ctx.tensor(2).getDouble(0) : Double.POSITIVE_INFINITY;
                apply(x, y, v -> Double.isNaN(v) ? v : Math.min(hi, Math.max(lo, v)), null, ctx);
            } else {
                long lo = ctx.hasInput(1) ? ctx.tensor(1).getLong(0) : Long.MIN_VALUE;
                long hi = ctx.hasInput(2) ? ctx.tensor(2).getLong(0) : Long.MAX_VALUE;
                // When min exceeds max every element becomes max: clamp below first, then above.
                if (x.dtype() == DType.UINT64) {
                    boolean hasLo = ctx.hasInput(1);
                    boolean hasHi = ctx.hasInput(2);
                    apply(x, y, null, v -> {
                        long w = hasLo && Long.compareUnsigned(v, lo) < 0 ? lo : v;
                        return hasHi && Long.compareUnsigned(w, hi) > 0 ? hi : w;
                    }, ctx);
                } else {
                    apply(x, y, null, v -> Math.min(hi, Math.max(lo, v)), ctx);
                }
            }
        };
    }
}

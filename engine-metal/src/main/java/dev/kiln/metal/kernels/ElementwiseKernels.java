package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;
import java.util.Map;

/** Float elementwise operators: binary with broadcasting ({@code kiln_binary_f32}) and unary ({@code kiln_unary_f32}). */
final class ElementwiseKernels {
    static final int THREADS = 256;

    /** Binary op codes of elementwise.metal. */
    private static final Map<String, Integer> BINARY = Map.of("Add", 0, "Sub", 1, "Mul", 2, "Div", 3, "Pow", 4,
            "Max", 5, "Min", 6, "PRelu", 7);

    /** Unary op codes of kiln_metal.h. */
    private static final Map<String, Integer> UNARY = Map.ofEntries(Map.entry("Relu", 0), Map.entry("LeakyRelu", 1),
            Map.entry("Sigmoid", 2), Map.entry("Tanh", 3), Map.entry("Exp", 4), Map.entry("Log", 5),
            Map.entry("Sqrt", 6), Map.entry("Reciprocal", 7), Map.entry("Neg", 8), Map.entry("Abs", 9),
            Map.entry("Erf", 10), Map.entry("Gelu", 11), Map.entry("Softplus", 13), Map.entry("HardSigmoid", 14),
            Map.entry("HardSwish", 15), Map.entry("Clip", 16), Map.entry("Elu", 17), Map.entry("Floor", 18),
            Map.entry("Ceil", 19), Map.entry("Sin", 21), Map.entry("Cos", 22), Map.entry("Selu", 23));
    private static final int GELU_TANH = 12;

    private ElementwiseKernels() {
    }

    static void register(MetalKernels r) {
        for (String op : BINARY.keySet()) {
            r.onnx(ctx -> binary(ctx, BINARY.get(op)), op);
        }
        for (String op : UNARY.keySet()) {
            r.onnx(ElementwiseKernels::unary, op);
        }
    }

    private static Kernel binary(BindContext ctx, int op) {
        if (ctx.inputCount() != 2 || !StaticShapes.allFloat(ctx)) {
            return null;
        }
        long[] y = StaticShapes.out(ctx, 0);
        long[][] c = StaticShapes.collapse(y, StaticShapes.broadcastStrides(StaticShapes.in(ctx, 0), y), StaticShapes.broadcastStrides(StaticShapes.in(ctx, 1), y));
        long n = StaticShapes.size(y);
        if (c == null || !StaticShapes.fitsIndex(n)) {
            return null;
        }
        byte[] params = new ParamStruct().i32s(StaticShapes.MAX_RANK, 0, c[1]).i32s(StaticShapes.MAX_RANK, 0, c[2])
                .i32s(StaticShapes.MAX_RANK, 1, c[0]).i32(c[0].length, n, op).bytes();
        return (MetalKernel) (q, d) -> q.dispatch(Dispatch.perElement("kiln_binary_f32", n, THREADS)
                .buffer(0, d.input(0)).buffer(1, d.input(1)).buffer(2, d.output(0)).bytes(3, params));
    }

    private static Kernel unary(BindContext ctx) {
        if (!StaticShapes.allFloat(ctx)) {
            return null;
        }
        Node node = ctx.node();
        int op = UNARY.get(node.opType());
        float alpha = 0;
        float beta = 0;
        switch (node.opType()) {
            case "LeakyRelu" -> alpha = node.attrFloat("alpha", 0.01f);
            case "Elu" -> alpha = node.attrFloat("alpha", 1f);
            case "HardSigmoid" -> {
                alpha = node.attrFloat("alpha", 0.2f);
                beta = node.attrFloat("beta", 0.5f);
            }
            case "Selu" -> {
                alpha = node.attrFloat("alpha", 1.67326319217681884765625f);
                beta = node.attrFloat("gamma", 1.05070102214813232421875f);
            }
            case "Gelu" -> {
                String approx = node.attrString("approximate", "none");
                if (approx.equals("tanh")) {
                    op = GELU_TANH;
                } else if (!approx.equals("none")) {
                    return null;
                }
            }
            case "Clip" -> {
                float[] bounds = clipBounds(ctx);
                if (bounds == null) {
                    return null;
                }
                alpha = bounds[0];
                beta = bounds[1];
            }
            default -> {
                if (ctx.inputCount() != 1) {
                    return null;
                }
            }
        }
        long n = StaticShapes.size(StaticShapes.out(ctx, 0));
        if (!StaticShapes.fitsIndex(n)) {
            return null;
        }
        byte[] params = new ParamStruct().i32(n, op).f32(alpha, beta).bytes();
        return (MetalKernel) (q, d) -> q.dispatch(Dispatch.perElement("kiln_unary_f32", n, THREADS)
                .buffer(0, d.input(0)).buffer(1, d.output(0)).bytes(2, params));
    }

    /** Clip's bounds: attributes before opset 11, constant inputs after; {@code null} when not constant. */
    private static float[] clipBounds(BindContext ctx) {
        if (ctx.opset() < 11) {
            return new float[] {ctx.node().attrFloat("min", -Float.MAX_VALUE), ctx.node().attrFloat("max", Float.MAX_VALUE)};
        }
        float[] r = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int i = 1; i <= 2; i++) {
            if (ctx.inputCount() > i && ctx.node().hasInput(i)) {
                if (ctx.constantInput(i) == null) {
                    return null;
                }
                r[i - 1] = ctx.constantInput(i).getFloat(0);
            }
        }
        return r;
    }
}

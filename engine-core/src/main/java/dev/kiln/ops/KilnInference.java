package dev.kiln.ops;

import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference for Kiln's own operators, the fused forms the optimizer creates (domain
 * {@code kiln}, version 1). Their meaning is documented in {@code docs/kiln-operators.md}.
 */
final class KilnInference {
    static final String DOMAIN = "kiln";

    private KilnInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.add(DOMAIN, "FusedConv", NnInference::conv);
        r.add(DOMAIN, "FusedGemm", MathInference::gemm);
        r.add(DOMAIN, "FusedMatMul", MathInference::matMul);
        r.add(DOMAIN, "LayerNormalization", ElementwiseInference::sameAsInput0);
        r.add(DOMAIN, "SkipLayerNormalization", KilnInference::skipLayerNorm);
        r.add(DOMAIN, "Gelu", ElementwiseInference::sameAsInput0);
        r.add(DOMAIN, "Attention", KilnInference::attention);
        r.add(DOMAIN, "Elementwise", KilnInference::elementwise);
    }

    /** The sum of inputs 0 and 1 with Add's broadcasting, normalized: both outputs have the broadcast shape. */
    private static void skipLayerNorm(InferenceContext ctx) {
        TensorType a = ctx.tensorType(0);
        TensorType b = ctx.tensorType(1);
        if (a == null) {
            return;
        }
        SymbolicShape s;
        try {
            s = b == null ? null : Shapes.broadcast(a.shape(), b.shape());
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
        ValueType t = ValueType.tensor(a.dtype(), s);
        ctx.output(0, t);
        ctx.output(1, t);
    }

    /** Q [batch, q_len, heads * head] and V [batch, kv_len, heads * v_head] give [batch, q_len, heads * v_head]. */
    private static void attention(InferenceContext ctx) {
        TensorType q = ctx.tensorType(0);
        TensorType v = ctx.tensorType(2);
        if (q == null) {
            return;
        }
        if (q.shape() == null || v == null || v.shape() == null) {
            ctx.output(0, ValueType.tensor(q.dtype(), SymbolicShape.unknownDims(3)));
            return;
        }
        if (q.shape().rank() != 3 || v.shape().rank() != 3) {
            throw ctx.fail("Attention takes 3-D Q, K and V, got " + q.shape() + " and " + v.shape());
        }
        ctx.output(0, ValueType.tensor(q.dtype(), SymbolicShape.of(q.shape().dim(0), q.shape().dim(1), v.shape().dim(2))));
    }

    /** The broadcast of all inputs, with the element type of the body's output. */
    private static void elementwise(InferenceContext ctx) {
        dev.kiln.graph.Graph body = ctx.node().attrGraph("body");
        if (body == null || body.outputs().size() != 1) {
            throw ctx.fail("Elementwise needs a 'body' graph with one output");
        }
        ValueType out = body.outputs().get(0).type();
        if (!(out instanceof TensorType ot)) {
            return;
        }
        List<SymbolicShape> shapes = new ArrayList<>();
        for (int i = 0; i < ctx.inputCount(); i++) {
            TensorType t = ctx.tensorType(i);
            if (t == null || t.shape() == null) {
                ctx.output(0, ValueType.tensor(ot.dtype()));
                return;
            }
            shapes.add(t.shape());
        }
        try {
            ctx.output(0, ValueType.tensor(ot.dtype(), Shapes.broadcast(shapes.toArray(new SymbolicShape[0]))));
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
    }
}

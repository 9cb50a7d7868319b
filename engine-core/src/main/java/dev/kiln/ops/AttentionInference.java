package dev.kiln.ops;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;

/**
 * Inference for attention operators (Attention, FlexAttention, LinearAttention), RotaryEmbedding
 * and CausalConvWithState.
 */
final class AttentionInference {
    private AttentionInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(AttentionInference::attention, "Attention");
        r.onnx(ElementwiseInference::sameAsInput0, "RotaryEmbedding");
        r.add("ai.onnx.preview", "FlexAttention", AttentionInference::flexAttention);
        r.onnx(AttentionInference::linearAttention, "LinearAttention");
        r.onnx(AttentionInference::causalConv, "CausalConvWithState");
    }

    /**
     * Y is Q's layout with V's head size; the caches and the QK output are 4-D over the total
     * (past + new) key length.
     */
    private static void attention(InferenceContext ctx) {
        TensorType q = ctx.tensorType(0);
        TensorType k = ctx.tensorType(1);
        TensorType v = ctx.tensorType(2);
        if (q == null) {
            return;
        }
        if (q.shape() == null || k == null || k.shape() == null || v == null || v.shape() == null) {
            ctx.output(0, ValueType.tensor(q.dtype()));
            return;
        }
        int rank = q.shape().rank();
        if (rank != 3 && rank != 4 || k.shape().rank() != rank || v.shape().rank() != rank) {
            throw ctx.fail("Q, K and V must all be 3-D or all 4-D");
        }
        SymbolicShape qs = q.shape();
        SymbolicShape ks = k.shape();
        SymbolicShape vs = v.shape();
        Dim batch = qs.dim(0);
        Dim total = ks.dim(rank == 4 ? 2 : 1);
        TensorType pastK = ctx.inputCount() > 4 ? ctx.tensorType(4) : null;
        if (pastK != null) {
            Dim past = pastK.shape() == null ? Dim.UNKNOWN : pastK.shape().dim(2);
            total = past.isKnown() && total.isKnown() ? Dim.of(past.value() + total.value()) : Dim.UNKNOWN;
        } else if (ctx.hasInput(4)) {
            total = Dim.UNKNOWN;
        }
        Dim qHeads;
        Dim kvHeads;
        Dim headSize;
        Dim vHeadSize;
        if (rank == 4) {
            qHeads = qs.dim(1);
            kvHeads = ks.dim(1);
            headSize = ks.dim(3);
            vHeadSize = vs.dim(3);
            ctx.output(0, ValueType.tensor(q.dtype(), SymbolicShape.of(batch, qHeads, qs.dim(2), vHeadSize)));
        } else {
            long hq = ctx.node().attrInt("q_num_heads", 0);
            long hkv = ctx.node().attrInt("kv_num_heads", 0);
            if (hq <= 0 || hkv <= 0) {
                throw ctx.fail("3-D inputs need q_num_heads and kv_num_heads");
            }
            qHeads = Dim.of(hq);
            kvHeads = Dim.of(hkv);
            headSize = ks.dim(2).isKnown() ? Dim.of(ks.dim(2).value() / hkv) : Dim.UNKNOWN;
            vHeadSize = vs.dim(2).isKnown() ? Dim.of(vs.dim(2).value() / hkv) : Dim.UNKNOWN;
            Dim hidden = vHeadSize.isKnown() ? Dim.of(vHeadSize.value() * hq) : Dim.UNKNOWN;
            ctx.output(0, ValueType.tensor(q.dtype(), SymbolicShape.of(batch, qs.dim(1), hidden)));
        }
        int outs = ctx.node().outputs().size();
        if (outs > 1) {
            ctx.output(1, ValueType.tensor(k.dtype(), SymbolicShape.of(batch, kvHeads, total, headSize)));
        }
        if (outs > 2) {
            ctx.output(2, ValueType.tensor(v.dtype(), SymbolicShape.of(batch, kvHeads, total, vHeadSize)));
        }
        if (outs > 3) {
            ctx.output(3, ValueType.tensor(q.dtype(), SymbolicShape.of(batch, qHeads, qs.dim(rank == 4 ? 2 : 1), total)));
        }
    }

    /** (B, Hq, L, v_head_size). */
    private static void flexAttention(InferenceContext ctx) {
        TensorType q = ctx.tensorType(0);
        TensorType v = ctx.tensorType(2);
        if (q == null) {
            return;
        }
        if (q.shape() == null || q.shape().rank() != 4 || v == null || v.shape() == null || v.shape().rank() != 4) {
            ctx.output(0, ValueType.tensor(q.dtype()));
            return;
        }
        SymbolicShape qs = q.shape();
        ctx.output(0, ValueType.tensor(q.dtype(), SymbolicShape.of(qs.dim(0), qs.dim(1), qs.dim(2), v.shape().dim(3))));
    }

    /** Output (B, T, Hq * d_v); state (B, Hkv, d_k, d_v). */
    private static void linearAttention(InferenceContext ctx) {
        TensorType q = ctx.tensorType(0);
        TensorType v = ctx.tensorType(2);
        if (q == null) {
            return;
        }
        long hq = ctx.node().attrInt("q_num_heads", 0);
        long hkv = ctx.node().attrInt("kv_num_heads", 0);
        if (q.shape() == null || q.shape().rank() != 3 || v == null || v.shape() == null || v.shape().rank() != 3
                || hq <= 0 || hkv <= 0) {
            ctx.output(0, ValueType.tensor(q.dtype()));
            return;
        }
        Dim vh = v.shape().dim(2);
        Dim qh = q.shape().dim(2);
        Dim dv = vh.isKnown() ? Dim.of(vh.value() / hkv) : Dim.UNKNOWN;
        Dim dk = qh.isKnown() ? Dim.of(qh.value() / hq) : Dim.UNKNOWN;
        ctx.output(0, ValueType.tensor(q.dtype(), SymbolicShape.of(q.shape().dim(0), q.shape().dim(1),
                dv.isKnown() ? Dim.of(dv.value() * hq) : Dim.UNKNOWN)));
        TensorType past = ctx.inputCount() > 3 ? ctx.tensorType(3) : null;
        ctx.output(1, ValueType.tensor(past != null ? past.dtype() : q.dtype(),
                SymbolicShape.of(q.shape().dim(0), Dim.of(hkv), dk, dv)));
    }

    /** Output like the input; state (B, C, k - 1). */
    private static void causalConv(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType w = ctx.tensorType(1);
        if (x == null) {
            return;
        }
        ctx.output(0, x);
        if (x.shape() != null && x.shape().rank() == 3 && w != null && w.shape() != null && w.shape().rank() == 3) {
            Dim k = w.shape().dim(2);
            ctx.output(1, ValueType.tensor(x.dtype(), SymbolicShape.of(x.shape().dim(0), x.shape().dim(1),
                    k.isKnown() ? Dim.of(k.value() - 1) : Dim.UNKNOWN)));
        } else {
            ctx.output(1, ValueType.tensor(x.dtype()));
        }
    }
}

package dev.kiln.ops;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;

/** Inference for attention operators and RotaryEmbedding. */
final class AttentionInference {
    private AttentionInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(AttentionInference::attention, "Attention");
        r.onnx(ElementwiseInference::sameAsInput0, "RotaryEmbedding");
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
}

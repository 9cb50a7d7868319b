package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Subgraph;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.Arrays;
import java.util.List;

/**
 * Attention (opsets 23 to 25), ai.onnx.preview.FlexAttention and RotaryEmbedding. Attention works on one (batch, query head)
 * pair at a time and one query row at a time: scores against every key (past keys first), the
 * soft cap, the additive bias (mask, causal frontier, padding, sliding window), a softmax, and
 * the weighted sum of values. Everything is computed in double and rounded once on output.
 */
final class AttentionKernels {
    private AttentionKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(AttentionKernels::attention, "Attention");
        r.onnx(AttentionKernels::rotary, "RotaryEmbedding");
        r.add("ai.onnx.preview", "FlexAttention", AttentionKernels::flexAttention);
    }

    /**
     * Where the vectors of a (batch, heads, sequence, size) tensor live, whether it is stored 4-D
     * or 3-D as (batch, sequence, heads * size).
     */
    record Heads(Tensor t, long batch, long heads, long seq, long size, boolean packed) {
        static Heads of(Tensor t, long heads, String name) {
            if (t.rank() == 4) {
                Shape s = t.shape();
                return new Heads(t, s.dim(0), s.dim(1), s.dim(2), s.dim(3), false);
            }
            if (t.rank() != 3 || heads <= 0 || t.shape().dim(2) % heads != 0) {
                throw new IllegalArgumentException(name + " " + t.shape() + " must be 4-D, or 3-D with a hidden size"
                        + " divisible by the number of heads (" + heads + ")");
            }
            Shape s = t.shape();
            return new Heads(t, s.dim(0), heads, s.dim(1), s.dim(2) / heads, true);
        }

        /** Index of element 0 of the vector at (b, h, s). */
        long at(long b, long h, long s) {
            return packed ? ((b * seq + s) * heads + h) * size : ((b * heads + h) * seq + s) * size;
        }

        double get(long b, long h, long s, long d) {
            return t.getDouble(at(b, h, s) + d);
        }
    }

    private static Kernel attention(BindContext b) {
        long qHeadsAttr = b.node().attrInt("q_num_heads", 0);
        long kvHeadsAttr = b.node().attrInt("kv_num_heads", 0);
        boolean causal = b.node().attrInt("is_causal", 0) != 0;
        boolean hasScale = b.node().attribute("scale") != null;
        double scaleAttr = b.node().attrFloat("scale", 1f);
        double softcap = b.node().attrFloat("softcap", 0f);
        int qkMode = (int) b.node().attrInt("qk_matmul_output_mode", 0);
        long leftWindow = b.node().attrInt("left_window_size", -1);
        long rightWindow = b.node().attrInt("right_window_size", -1);
        if (qkMode < 0 || qkMode > 3) {
            throw new IllegalArgumentException("qk_matmul_output_mode must be 0 to 3, got " + qkMode);
        }
        return k -> {
            Heads q = Heads.of(k.tensor(0), qHeadsAttr, "Q");
            Heads key = Heads.of(k.tensor(1), kvHeadsAttr, "K");
            Heads v = Heads.of(k.tensor(2), kvHeadsAttr, "V");
            Tensor mask = k.hasInput(3) ? k.tensor(3) : null;
            Tensor pastK = k.hasInput(4) ? k.tensor(4) : null;
            Tensor pastV = k.hasInput(5) ? k.tensor(5) : null;
            Tensor nonpad = k.hasInput(6) ? k.tensor(6) : null;
            long batch = q.batch();
            long hq = q.heads();
            long hkv = key.heads();
            long sq = q.seq();
            long skv = key.seq();
            if (key.batch() != batch || v.batch() != batch || v.heads() != hkv || v.seq() != skv
                    || key.size() != q.size() || hkv <= 0 || hq % hkv != 0) {
                throw new IllegalArgumentException("Attention inputs do not match: Q " + k.tensor(0).shape() + ", K "
                        + k.tensor(1).shape() + ", V " + k.tensor(2).shape());
            }
            if ((pastK == null) != (pastV == null)) {
                throw new IllegalArgumentException("past_key and past_value must be given together");
            }
            long past = pastK == null ? 0 : pastK.shape().dim(2);
            if (pastK != null && (!pastK.shape().equals(Shape.of(batch, hkv, past, q.size()))
                    || !pastV.shape().equals(Shape.of(batch, hkv, past, v.size())))) {
                throw new IllegalArgumentException("past_key " + pastK.shape() + " or past_value " + pastV.shape()
                        + " does not match K and V");
            }
            if (nonpad != null && nonpad.size() != batch) {
                throw new IllegalArgumentException("nonpad_kv_seqlen " + nonpad.shape() + " must hold one length per batch");
            }
            long total = past + skv;
            Heads allK = present(k, 1, pastK, key, batch, hkv, past, total);
            Heads allV = present(k, 2, pastV, v, batch, hkv, past, total);
            MaskIndex mi = mask == null ? null : MaskIndex.of(mask, batch, hq, sq, total);
            double scale = hasScale ? scaleAttr : 1 / Math.sqrt(q.size());
            DType outType = k.tensor(0).dtype();
            Tensor y = k.allocate(0, outType, q.packed() ? Shape.of(batch, sq, hq * v.size())
                    : Shape.of(batch, hq, sq, v.size()));
            Heads out = new Heads(y, batch, hq, sq, v.size(), q.packed());
            Tensor qk = k.outputCount() > 3 && k.hasOutput(3) ? k.allocate(3, outType, Shape.of(batch, hq, sq, total)) : null;
            long group = hq / hkv;
            k.parallel().forRange(batch * hq, 1, (start, end) -> {
                double[] scores = new double[Math.toIntExact(total)];
                double[] acc = new double[Math.toIntExact(v.size())];
                for (long bh = start; bh < end; bh++) {
                    long bi = bh / hq;
                    long h = bh % hq;
                    long kvh = h / group;
                    long valid = nonpad == null ? total : Math.min(total, nonpad.getLong(bi));
                    long offset = pastK != null ? past : nonpad != null ? nonpad.getLong(bi) - sq : 0;
                    for (long i = 0; i < sq; i++) {
                        long qi = q.at(bi, h, i);
                        long qkRow = ((bi * hq + h) * sq + i) * total;
                        double max = Double.NEGATIVE_INFINITY;
                        for (long j = 0; j < total; j++) {
                            long kj = allK.at(bi, kvh, j);
                            double s = 0;
                            for (long d = 0; d < q.size(); d++) {
                                s += q.t().getDouble(qi + d) * allK.t().getDouble(kj + d);
                            }
                            s *= scale;
                            if (qk != null && qkMode == 0) {
                                qk.setDouble(qkRow + j, s);
                            }
                            if (softcap > 0) {
                                s = softcap * Math.tanh(s / softcap);
                            }
                            if (qk != null && qkMode == 1) {
                                qk.setDouble(qkRow + j, s);
                            }
                            long p = offset + i;
                            boolean allowed = j < valid && (!causal || j <= p)
                                    && (leftWindow < 0 || j >= p - leftWindow) && (rightWindow < 0 || j <= p + rightWindow);
                            s = allowed ? s + (mi == null ? 0 : mi.bias(bi, h, i, j)) : Double.NEGATIVE_INFINITY;
                            if (qk != null && qkMode == 2) {
                                qk.setDouble(qkRow + j, s);
                            }
                            scores[(int) j] = s;
                            max = Math.max(max, s);
                        }
                        Arrays.fill(acc, 0);
                        // A row with no key left produces zeros, not the NaN of exp(-inf - -inf).
                        if (max != Double.NEGATIVE_INFINITY) {
                            double sum = 0;
                            for (int j = 0; j < total; j++) {
                                scores[j] = Math.exp(scores[j] - max);
                                sum += scores[j];
                            }
                            for (int j = 0; j < total; j++) {
                                scores[j] /= sum;
                                long vj = allV.at(bi, kvh, j);
                                for (int d = 0; d < acc.length; d++) {
                                    acc[d] += scores[j] * allV.t().getDouble(vj + d);
                                }
                            }
                        } else {
                            Arrays.fill(scores, 0);
                        }
                        if (qk != null && qkMode == 3) {
                            for (int j = 0; j < total; j++) {
                                qk.setDouble(qkRow + j, scores[j]);
                            }
                        }
                        long yi = out.at(bi, h, i);
                        for (int d = 0; d < acc.length; d++) {
                            y.setDouble(yi + d, acc[d]);
                        }
                    }
                }
            });
        };
    }

    /**
     * The keys (or values) attended to: the past cache followed by the new ones, written to
     * output {@code out} (present_key or present_value) when it is requested, else gathered
     * into a temporary 4-D tensor when there is a past.
     */
    private static Heads present(KernelContext k, int out, Tensor past, Heads cur, long batch, long heads,
                                 long pastLen, long total) {
        boolean wanted = k.outputCount() > out && k.hasOutput(out);
        if (!wanted && past == null) {
            return cur;
        }
        Shape s = Shape.of(batch, heads, total, cur.size());
        Tensor t = wanted ? k.allocate(out, cur.t().dtype(), s) : Tensor.allocate(cur.t().dtype(), s);
        Heads all = new Heads(t, batch, heads, total, cur.size(), false);
        for (long b = 0; b < batch; b++) {
            for (long h = 0; h < heads; h++) {
                if (past != null) {
                    Elements.copy(past, (b * heads + h) * pastLen * cur.size(), t, all.at(b, h, 0), pastLen * cur.size());
                }
                for (long j = 0; j < cur.seq(); j++) {
                    Elements.copy(cur.t(), cur.at(b, h, j), t, all.at(b, h, pastLen + j), cur.size());
                }
            }
        }
        return all;
    }

    /**
     * The attention mask broadcast to (batch, q heads, q length, total length). A boolean mask
     * disallows its false positions; any other mask is added to the scores. A mask shorter than
     * the total length leaves the keys past its end disallowed.
     */
    private record MaskIndex(Tensor mask, long[] strides, long keys, boolean bool) {
        static MaskIndex of(Tensor mask, long batch, long heads, long sq, long total) {
            if (mask.rank() < 1 || mask.rank() > 4) {
                throw new IllegalArgumentException("attn_mask must have rank 1 to 4, got " + mask.shape());
            }
            long[] want = {batch, heads, sq, total};
            long[] own = mask.shape().strides();
            long[] strides = new long[4];
            int off = 4 - mask.rank();
            for (int a = 0; a < 4; a++) {
                if (a < off) {
                    continue;
                }
                long d = mask.shape().dim(a - off);
                boolean ok = d == want[a] || d == 1 || a == 3 && d < total;
                if (!ok) {
                    throw new IllegalArgumentException("attn_mask " + mask.shape() + " does not broadcast to "
                            + Shape.of(want));
                }
                strides[a] = d == 1 && want[a] != 1 ? 0 : own[a - off];
            }
            long keys = mask.shape().dim(-1);
            return new MaskIndex(mask, strides, keys == 1 ? total : keys, mask.dtype() == DType.BOOL);
        }

        double bias(long b, long h, long i, long j) {
            if (j >= keys) {
                return Double.NEGATIVE_INFINITY;
            }
            long at = b * strides[0] + h * strides[1] + i * strides[2] + j * strides[3];
            if (bool) {
                return mask.getBoolean(at) ? 0 : Double.NEGATIVE_INFINITY;
            }
            return mask.getDouble(at);
        }
    }

    /**
     * Scaled dot-product attention over 4-D inputs whose score and probability tensors pass
     * through optional subgraphs ({@code score_mod} before the softmax, {@code prob_mod} after).
     * Scores and probabilities have the softmax precision type: double for double inputs, else
     * float unless {@code softmax_precision} says otherwise.
     */
    private static Kernel flexAttention(BindContext b) {
        boolean hasScale = b.node().attribute("scale") != null;
        double scaleAttr = b.node().attrFloat("scale", 1f);
        long precisionAttr = b.node().attrInt("softmax_precision", 0);
        Graph scoreGraph = b.node().attribute("score_mod") != null ? b.node().attrGraph("score_mod") : null;
        Graph probGraph = b.node().attribute("prob_mod") != null ? b.node().attrGraph("prob_mod") : null;
        Subgraph scoreMod = scoreGraph == null ? null : b.compile(scoreGraph);
        Subgraph probMod = probGraph == null ? null : b.compile(probGraph);
        return k -> {
            Tensor q = k.tensor(0);
            Tensor key = k.tensor(1);
            Tensor v = k.tensor(2);
            if (q.rank() != 4 || key.rank() != 4 || v.rank() != 4) {
                throw new IllegalArgumentException("FlexAttention needs 4-D Q, K and V, got " + q.shape() + ", "
                        + key.shape() + ", " + v.shape());
            }
            Heads qh = Heads.of(q, 0, "Q");
            Heads kh = Heads.of(key, 0, "K");
            Heads vh = Heads.of(v, 0, "V");
            long batch = qh.batch();
            long hq = qh.heads();
            long hkv = kh.heads();
            long l = qh.seq();
            long s = kh.seq();
            if (kh.batch() != batch || vh.batch() != batch || vh.heads() != hkv || vh.seq() != s
                    || kh.size() != qh.size() || hq % hkv != 0) {
                throw new IllegalArgumentException("FlexAttention inputs do not match: Q " + q.shape() + ", K "
                        + key.shape() + ", V " + v.shape());
            }
            DType precision = precisionAttr != 0 ? DType.fromCode((int) precisionAttr)
                    : q.dtype() == DType.DOUBLE ? DType.DOUBLE : DType.FLOAT;
            double scale = hasScale ? scaleAttr : 1 / Math.sqrt(qh.size());
            long group = hq / hkv;
            Shape scoreShape = Shape.of(batch, hq, l, s);
            Tensor scores = Tensor.allocate(precision, scoreShape);
            for (long bh = 0; bh < batch * hq; bh++) {
                long bi = bh / hq;
                long h = bh % hq;
                for (long i = 0; i < l; i++) {
                    for (long j = 0; j < s; j++) {
                        double dot = 0;
                        for (long d = 0; d < qh.size(); d++) {
                            dot += qh.get(bi, h, i, d) * kh.get(bi, h / group, j, d);
                        }
                        scores.setDouble((bh * l + i) * s + j, dot * scale);
                    }
                }
            }
            scores = modify(k, scoreMod, scores, "score_mod");
            Tensor probs = Tensor.allocate(precision, scoreShape);
            for (long row = 0; row < batch * hq * l; row++) {
                double max = Double.NEGATIVE_INFINITY;
                for (long j = 0; j < s; j++) {
                    max = Math.max(max, scores.getDouble(row * s + j));
                }
                double sum = 0;
                for (long j = 0; j < s; j++) {
                    sum += Math.exp(scores.getDouble(row * s + j) - max);
                }
                for (long j = 0; j < s; j++) {
                    probs.setDouble(row * s + j, Math.exp(scores.getDouble(row * s + j) - max) / sum);
                }
            }
            probs = modify(k, probMod, probs, "prob_mod");
            Tensor y = k.allocate(0, q.dtype(), Shape.of(batch, hq, l, vh.size()));
            for (long bh = 0; bh < batch * hq; bh++) {
                long bi = bh / hq;
                long h = bh % hq;
                for (long i = 0; i < l; i++) {
                    for (long d = 0; d < vh.size(); d++) {
                        double acc = 0;
                        for (long j = 0; j < s; j++) {
                            acc += probs.getDouble((bh * l + i) * s + j) * vh.get(bi, h / group, j, d);
                        }
                        y.setDouble((bh * l + i) * vh.size() + d, acc);
                    }
                }
            }
        };
    }

    /** Runs a modifier subgraph on a score or probability tensor; it must keep type and shape. */
    private static Tensor modify(KernelContext k, Subgraph mod, Tensor t, String name) {
        if (mod == null) {
            return t;
        }
        List<Value> out = k.run(mod, List.of(t));
        if (out.size() != 1 || !(out.get(0) instanceof Tensor r) || r.dtype() != t.dtype() || !r.shape().equals(t.shape())) {
            throw new IllegalArgumentException(name + " must return one " + t.dtype() + t.shape() + " tensor");
        }
        return r;
    }

    /**
     * Rotates pairs of features by position-dependent angles: the two halves of the rotated part
     * of each head, or its even and odd features when {@code interleaved}.
     */
    private static Kernel rotary(BindContext b) {
        boolean interleaved = b.node().attrInt("interleaved", 0) != 0;
        long numHeads = b.node().attrInt("num_heads", 0);
        long rotaryDim = b.node().attrInt("rotary_embedding_dim", 0);
        return k -> {
            Tensor xt = k.tensor(0);
            Tensor cos = k.tensor(1);
            Tensor sin = k.tensor(2);
            Tensor pos = k.hasInput(3) ? k.tensor(3) : null;
            Heads x = Heads.of(xt, numHeads, "X");
            long batch = x.batch();
            long seq = x.seq();
            long head = x.size();
            long rot = rotaryDim == 0 ? head : rotaryDim;
            if (rot % 2 != 0 || rot > head) {
                throw new IllegalArgumentException("rotary dimension " + rot + " must be even and at most the head size " + head);
            }
            long half = rot / 2;
            if (cos.shape().dim(-1) != half || !cos.shape().equals(sin.shape())) {
                throw new IllegalArgumentException("cos_cache " + cos.shape() + " and sin_cache " + sin.shape()
                        + " must end in rotary dimension / 2 = " + half);
            }
            if (pos == null ? !cos.shape().equals(Shape.of(batch, seq, half)) : cos.rank() != 2
                    || !pos.shape().equals(Shape.of(batch, seq))) {
                throw new IllegalArgumentException("caches " + cos.shape() + " do not fit X " + xt.shape()
                        + (pos == null ? "" : " and position_ids " + pos.shape()));
            }
            Tensor y = k.allocate(0, xt.dtype(), xt.shape());
            Heads out = new Heads(y, batch, x.heads(), seq, head, x.packed());
            for (long bi = 0; bi < batch; bi++) {
                for (long s = 0; s < seq; s++) {
                    long row;
                    if (pos == null) {
                        row = (bi * seq + s) * half;
                    } else {
                        long p = pos.getLong(bi * seq + s);
                        if (p < 0 || p >= cos.shape().dim(0)) {
                            throw new IllegalArgumentException("position id " + p + " is outside the caches' "
                                    + cos.shape().dim(0) + " positions");
                        }
                        row = p * half;
                    }
                    for (long h = 0; h < x.heads(); h++) {
                        long xi = x.at(bi, h, s);
                        long yi = out.at(bi, h, s);
                        for (long d = 0; d < half; d++) {
                            long i1 = interleaved ? 2 * d : d;
                            long i2 = interleaved ? 2 * d + 1 : d + half;
                            double x1 = xt.getDouble(xi + i1);
                            double x2 = xt.getDouble(xi + i2);
                            double c = cos.getDouble(row + d);
                            double sn = sin.getDouble(row + d);
                            y.setDouble(yi + i1, c * x1 - sn * x2);
                            y.setDouble(yi + i2, sn * x1 + c * x2);
                        }
                        Elements.copy(xt, xi + rot, y, yi + rot, head - rot);
                    }
                }
            }
        };
    }
}

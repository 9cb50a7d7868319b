package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Multi-head attention as transformer exporters spell it, matched at its Softmax:
 * <pre>
 *   q = Transpose(Reshape(Q, [b, s, H, D]), [0, 2, 1, 3])
 *   k = Transpose(Reshape(K, [b, t, H, D]), [0, 2, 3, 1])
 *   v = Transpose(Reshape(V, [b, t, H, E]), [0, 2, 1, 3])
 *   p = Softmax(Add(Div(MatMul(q, k), c), mask), axis=-1)      Div by c, Mul by 1/c, or neither; mask optional
 *   Y = Reshape(Transpose(MatMul(p, v), [0, 2, 1, 3]), [b, s, H * E])
 * </pre>
 * → {@code kiln.Attention(Q, K, V, mask, num_heads=H, scale=1/c)}, which streams over the keys
 * and never holds the {@code s x t} score matrix.
 */
public final class FuseAttention implements RewriteRule {
    private static final long[] HEADS_FIRST = {0, 2, 1, 3};
    private static final long[] KEYS_TRANSPOSED = {0, 2, 3, 1};

    @Override
    public String name() {
        return "fuse-attention";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Softmax");
    }

    @Override
    public Patch match(Node softmax, OptGraph g) {
        SymbolicShape scores = g.shape(softmax.input(0));
        if (!softmax.domain().isEmpty() || scores == null || scores.rank() != 4
                || normalize(softmax.attrInt("axis", g.opset("") < 13 ? 1 : -1), 4) != 3) {
            return null;
        }
        List<Node> matched = new ArrayList<>(List.of(softmax));
        String s = softmax.input(0);
        String mask = "";
        Node add = Match.soleProducer(g, s, "Add");
        if (add != null) {
            int i = scoreOperand(add, g);
            if (i < 0 || !Match.isFloat(g, add.input(1 - i))) {
                return null;
            }
            mask = add.input(1 - i);
            s = add.input(i);
            matched.add(add);
        }
        double scale = 1;
        Node div = Match.soleProducer(g, s, "Div");
        Node mul = Match.soleProducer(g, s, "Mul");
        if (div != null && Match.scalar(g, div.input(1)) != null) {
            scale = 1 / Match.scalar(g, div.input(1));
            s = div.input(0);
            matched.add(div);
        } else if (mul != null && Match.scalar(g, mul.input(1)) != null) {
            scale = Match.scalar(g, mul.input(1));
            s = mul.input(0);
            matched.add(mul);
        }
        Node qk = Match.soleProducer(g, s, "MatMul");
        Node pv = Match.soleConsumer(g, softmax.outputs().get(0), "MatMul");
        if (qk == null || pv == null || !pv.input(0).equals(softmax.outputs().get(0))
                || (!mask.isEmpty() && !broadcastsTo(g.shape(mask), g.shape(qk.outputs().get(0))))) {
            return null;
        }
        Node[] q = heads(g, qk.input(0), HEADS_FIRST);
        Node[] k = heads(g, qk.input(1), KEYS_TRANSPOSED);
        Node[] v = heads(g, pv.input(1), HEADS_FIRST);
        Node outT = Match.soleConsumer(g, pv.outputs().get(0), "Transpose");
        Node outR = outT == null || !java.util.Arrays.equals(Permutations.of(outT, g), HEADS_FIRST) ? null
                : Match.soleConsumer(g, outT.outputs().get(0), "Reshape");
        if (q == null || k == null || v == null || outR == null) {
            return null;
        }
        long[] hq = headDims(g, q[0]);
        long[] hk = headDims(g, k[0]);
        long[] hv = headDims(g, v[0]);
        if (hq == null || hk == null || hv == null || hq[0] != hk[0] || hq[0] != hv[0] || hq[1] != hk[1]
                || !mergesHeads(g, outR, hv[0] * hv[1]) || !Match.isFloat(g, q[0].input(0), k[0].input(0), v[0].input(0))) {
            return null;
        }
        matched.addAll(List.of(qk, pv, outT, outR, q[0], q[1], k[0], k[1], v[0], v[1]));
        List<String> ins = new ArrayList<>(List.of(q[0].input(0), k[0].input(0), v[0].input(0)));
        if (!mask.isEmpty()) {
            ins.add(mask);
        }
        Node attention = Match.kiln(softmax.name(), "Attention", ins, outR.outputs(),
                List.of(new Attribute.IntAttr("num_heads", hq[0]), new Attribute.FloatAttr("scale", (float) scale)));
        return Patch.builder().remove(matched).add(attention).build();
    }

    private static int normalize(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** Which operand of the mask Add carries the scores (a MatMul, possibly scaled), or -1. */
    private static int scoreOperand(Node add, OptGraph g) {
        for (int i = 0; i < 2; i++) {
            Node p = g.singleUse(add.input(i)) ? g.producer(add.input(i)) : null;
            if (p != null && (p.opType().equals("Div") || p.opType().equals("Mul"))) {
                p = g.producer(p.input(0));
            }
            if (p != null && p.domain().isEmpty() && p.opType().equals("MatMul")) {
                return i;
            }
        }
        return -1;
    }

    /**
     * True when adding a mask of this shape cannot grow the batch, head or query axes of the
     * scores: each of those mask dims is 1, the same dim, or faces a known dim above 1 (which it
     * must then equal). Growing the key axis would make the second MatMul fail, and the fused
     * kernel fails the same way, so that axis is checked when it runs.
     */
    private static boolean broadcastsTo(SymbolicShape mask, SymbolicShape scores) {
        if (mask == null || scores == null || scores.rank() != 4 || mask.rank() > 4) {
            return false;
        }
        int off = scores.rank() - mask.rank();
        for (int i = 0; i < mask.rank() && i + off < 3; i++) {
            Dim m = mask.dim(i);
            Dim s = scores.dim(i + off);
            if (!(m.isKnown() && m.value() == 1) && !Match.sameDim(m, s) && !(s.isKnown() && s.value() > 1)) {
                return false;
            }
        }
        return true;
    }

    /** [Reshape, Transpose] splitting a 3-D value into heads and permuting them by {@code perm}, or {@code null}. */
    private static Node[] heads(OptGraph g, String value, long[] perm) {
        Node t = Match.soleProducer(g, value, "Transpose");
        if (t == null || !java.util.Arrays.equals(Permutations.of(t, g), perm)) {
            return null;
        }
        Node r = Match.soleProducer(g, t.input(0), "Reshape");
        return r == null ? null : new Node[] {r, t};
    }

    /** {H, D} of a Reshape from [b, s, H * D] to [b, s, H, D] that keeps b and s, or {@code null}. */
    private static long[] headDims(OptGraph g, Node reshape) {
        Tensor t = g.constant(reshape.input(1));
        SymbolicShape in = g.shape(reshape.input(0));
        if (t == null || t.size() != 4 || in == null || in.rank() != 3 || !in.dim(2).isKnown()
                || reshape.attrInt("allowzero", 0) != 0) {
            return null;
        }
        long[] s = t.toLongArray();
        if (s[2] <= 0 || s[3] <= 0 || s[2] * s[3] != in.dim(2).value() || !keepsLeading(s, in)) {
            return null;
        }
        return new long[] {s[2], s[3]};
    }

    /** True when a Reshape from [b, s, H, E] gives [b, s, H * E]. */
    private static boolean mergesHeads(OptGraph g, Node reshape, long width) {
        Tensor t = g.constant(reshape.input(1));
        SymbolicShape in = g.shape(reshape.input(0));
        if (t == null || t.size() != 3 || in == null || in.rank() != 4 || reshape.attrInt("allowzero", 0) != 0) {
            return false;
        }
        long[] s = t.toLongArray();
        return s[2] == width && keepsLeading(s, in);
    }

    /** True when targets s[0], s[1] reproduce the input's first two dims (0 copies; one -1 infers). */
    private static boolean keepsLeading(long[] s, SymbolicShape in) {
        boolean k0 = s[0] == 0 || (in.dim(0).isKnown() && in.dim(0).value() == s[0]);
        boolean k1 = s[1] == 0 || (in.dim(1).isKnown() && in.dim(1).value() == s[1]);
        return (k0 && k1) || (k0 && s[1] == -1) || (k1 && s[0] == -1);
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.SymbolicShape;
import java.util.List;
import java.util.Set;

/**
 * Moves transposes below elementwise operators, where they can meet and cancel:
 * <ul>
 *   <li>{@code Transpose(f(Transpose(x, p)), q)} → {@code Transpose(f(x), p∘q)} for a unary
 *       elementwise {@code f} (no transpose at all when p∘q is the identity);</li>
 *   <li>{@code g(Transpose(a, p), Transpose(b, p))} → {@code Transpose(g(a, b), p)} for a binary
 *       elementwise {@code g} on operands of equal rank (two transposes become one).</li>
 * </ul>
 */
public final class SinkTranspose implements RewriteRule {
    static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Neg", "Abs", "Exp", "Log", "Sqrt",
            "Erf", "Reciprocal", "Cast", "HardSigmoid", "HardSwish", "Softplus", "Elu", "Selu", "Floor", "Ceil", "Round",
            "Sign", "Sin", "Cos", "Not", "Gelu");
    static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Equal", "Less",
            "Greater", "And", "Or");

    @Override
    public String name() {
        return "sink-transpose";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Transpose", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Equal", "Less", "Greater", "And", "Or");
    }

    @Override
    public Patch match(Node n, OptGraph g) {
        if (!n.domain().isEmpty()) {
            return null;
        }
        return n.opType().equals("Transpose") ? throughUnary(n, g) : throughBinary(n, g);
    }

    private static Patch throughUnary(Node outer, OptGraph g) {
        Node f = g.singleUse(outer.input(0)) ? g.producer(outer.input(0)) : null;
        if (f == null || !f.domain().isEmpty() || !UNARY.contains(f.opType()) || f.outputs().size() != 1) {
            return null;
        }
        Node inner = Match.soleProducer(g, f.input(0), "Transpose");
        if (inner == null) {
            return null;
        }
        long[] p = Permutations.of(inner, g);
        long[] q = Permutations.of(outer, g);
        if (p == null || q == null || p.length != q.length) {
            return null;
        }
        long[] perm = Permutations.compose(p, q);
        String out = outer.outputs().get(0);
        if (Permutations.isIdentity(perm)) {
            Node moved = f.withIo(replaceFirst(f.inputs(), inner.input(0)), List.of(out));
            return Patch.builder().remove(inner, f, outer).add(moved).build();
        }
        String mid = g.freshName(f.outputs().get(0));
        Node moved = f.withIo(replaceFirst(f.inputs(), inner.input(0)), List.of(mid));
        Node t = new Node(outer.name(), "Transpose", "", List.of(mid), List.of(out),
                List.of(new Attribute.IntsAttr("perm", perm)));
        return Patch.builder().remove(inner, f, outer).add(moved).add(t).build();
    }

    private static Patch throughBinary(Node op, OptGraph g) {
        if (op.inputs().size() != 2 || op.outputs().size() != 1) {
            return null;
        }
        Node a = Match.soleProducer(g, op.input(0), "Transpose");
        Node b = Match.soleProducer(g, op.input(1), "Transpose");
        if (a == null || b == null || a == b) {
            return null;
        }
        long[] pa = Permutations.of(a, g);
        long[] pb = Permutations.of(b, g);
        SymbolicShape sa = g.shape(a.input(0));
        SymbolicShape sb = g.shape(b.input(0));
        if (pa == null || !java.util.Arrays.equals(pa, pb) || sa == null || sb == null || sa.rank() != sb.rank()) {
            return null;
        }
        String mid = g.freshName(op.outputs().get(0) + "/untransposed");
        Node moved = op.withIo(List.of(a.input(0), b.input(0)), List.of(mid));
        Node t = new Node(a.name(), "Transpose", "", List.of(mid), op.outputs(), List.of(new Attribute.IntsAttr("perm", pa)));
        return Patch.builder().remove(a, b, op).add(moved).add(t).build();
    }

    private static List<String> replaceFirst(List<String> inputs, String x) {
        List<String> r = new java.util.ArrayList<>(inputs);
        r.set(0, x);
        return r;
    }
}

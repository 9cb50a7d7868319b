package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import java.util.ArrayList;
import java.util.List;

/**
 * The part both GELU spellings share: given {@code a = Add(f(x), 1)}, the multiplications
 * computing {@code 0.5 * x * a} in any of the orders exporters use:
 * {@code Mul(Mul(x, a), 0.5)}, {@code Mul(x, Mul(a, 0.5))} or {@code Mul(Mul(x, 0.5), a)}.
 */
final class GeluTail {
    private GeluTail() {
    }

    /** The node adding 1 to {@code value}, when it is the only reader; else {@code null}. */
    static Node addOne(OptGraph g, String value) {
        Node add = Match.soleConsumer(g, value, "Add");
        return add != null && Match.isScalar(g, Match.other(add, value), 1) ? add : null;
    }

    /**
     * The patch replacing {@code head} (the nodes from x up to {@code addOne}) and the tail by
     * {@code kiln.Gelu(x)}, or {@code null} when the tail does not match.
     */
    static Patch fuse(OptGraph g, String x, List<Node> head, Node addOne, String approximate) {
        String a = addOne.outputs().get(0);
        Node m1 = Match.soleConsumer(g, a, "Mul");
        String other = m1 == null ? null : Match.other(m1, a);
        if (other == null) {
            return null;
        }
        List<Node> tail = new ArrayList<>(List.of(m1));
        Node half;
        if (other.equals(x) || Match.isScalar(g, other, 0.5)) {
            Node m2 = Match.soleConsumer(g, m1.outputs().get(0), "Mul");
            String last = m2 == null ? null : Match.other(m2, m1.outputs().get(0));
            if (last == null || !(other.equals(x) ? Match.isScalar(g, last, 0.5) : last.equals(x))) {
                return null;
            }
            tail.add(m2);
        } else if ((half = Match.soleProducer(g, other, "Mul")) != null && half.inputs().contains(x)
                && Match.isScalar(g, Match.other(half, x), 0.5)) {
            tail.add(0, half);
        } else {
            return null;
        }
        Node last = tail.get(tail.size() - 1);
        List<Node> all = new ArrayList<>(head);
        all.add(addOne);
        all.addAll(tail);
        Node gelu = Match.kiln(last.name(), "Gelu", List.of(x), last.outputs(),
                List.of(new Attribute.StringAttr("approximate", approximate)));
        return Patch.builder().remove(all).add(gelu).build();
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Two reshape-like nodes in a row (Reshape, Flatten, Squeeze, Unsqueeze) → one: a Reshape to the
 * outer node's target when that does not depend on the intermediate shape, or two Unsqueezes →
 * one Unsqueeze when the shape is symbolic.
 */
public final class MergeReshapes implements RewriteRule {
    private static final Set<String> RESHAPES = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze");

    @Override
    public String name() {
        return "merge-reshapes";
    }

    @Override
    public Set<String> roots() {
        return RESHAPES;
    }

    @Override
    public Patch match(Node outer, OptGraph g) {
        Node inner = g.singleUse(outer.input(0)) ? g.producer(outer.input(0)) : null;
        if (!outer.domain().isEmpty() || inner == null || !inner.domain().isEmpty() || !RESHAPES.contains(inner.opType())) {
            return null;
        }
        String x = inner.input(0);
        long[] target = independentTarget(outer, g);
        if (target != null) {
            String shape = g.freshName(outer.outputs().get(0) + "/shape");
            Node r = new Node(outer.name(), "Reshape", "", List.of(x, shape), outer.outputs(), List.of());
            return Patch.builder().remove(inner, outer).add(r)
                    .initializer(shape, Tensor.ofLongs(new long[] {target.length}, target)).build();
        }
        if (outer.opType().equals("Unsqueeze") && inner.opType().equals("Unsqueeze")) {
            return mergeUnsqueezes(inner, outer, g);
        }
        return null;
    }

    /** The outer node's target as a Reshape shape that holds whatever the intermediate shape, or {@code null}. */
    private static long[] independentTarget(Node outer, OptGraph g) {
        SymbolicShape out = g.shape(outer.outputs().get(0));
        if (out != null && out.isKnown()) {
            return out.toShape().dims();
        }
        if (outer.opType().equals("Reshape") && outer.attrInt("allowzero", 0) == 0) {
            Tensor t = g.constant(outer.input(1));
            if (t == null) {
                return null;
            }
            long[] target = t.toLongArray();
            for (long v : target) {
                if (v == 0) {
                    return null;
                }
            }
            return target;
        }
        return null;
    }

    private static Patch mergeUnsqueezes(Node inner, Node outer, OptGraph g) {
        SymbolicShape x = g.shape(inner.input(0));
        long[] a1 = Match.axes(g, inner, 1);
        long[] a2 = Match.axes(g, outer, 1);
        if (x == null || a1 == null || a2 == null) {
            return null;
        }
        int mid = x.rank() + a1.length;
        int rank = mid + a2.length;
        TreeSet<Integer> first = normalized(a1, mid);
        TreeSet<Integer> second = normalized(a2, rank);
        if (first == null || second == null) {
            return null;
        }
        // Positions not inserted by the outer node hold the intermediate's axes, in order.
        List<Long> axes = new ArrayList<>();
        int k = 0;
        for (int p = 0; p < rank; p++) {
            if (second.contains(p) || first.contains(k++)) {
                axes.add((long) p);
            }
        }
        long[] merged = axes.stream().mapToLong(Long::longValue).toArray();
        if (g.opset("") < 13) {
            Node n = new Node(outer.name(), "Unsqueeze", "", List.of(inner.input(0)), outer.outputs(),
                    List.of(new Attribute.IntsAttr("axes", merged)));
            return Patch.replace(n, inner, outer);
        }
        String name = g.freshName(outer.outputs().get(0) + "/axes");
        Node n = new Node(outer.name(), "Unsqueeze", "", List.of(inner.input(0), name), outer.outputs(), List.of());
        return Patch.builder().remove(inner, outer).add(n)
                .initializer(name, Tensor.ofLongs(new long[] {merged.length}, merged)).build();
    }

    private static TreeSet<Integer> normalized(long[] axes, int rank) {
        TreeSet<Integer> s = new TreeSet<>();
        for (long a : axes) {
            long v = a < 0 ? a + rank : a;
            if (v < 0 || v >= rank || !s.add((int) v)) {
                return null;
            }
        }
        return s;
    }
}

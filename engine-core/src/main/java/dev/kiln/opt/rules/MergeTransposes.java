package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.List;
import java.util.Set;

/** {@code Transpose(Transpose(x, p), q)} → {@code Transpose(x, p∘q)}, or {@code x} when that is the identity. */
public final class MergeTransposes implements RewriteRule {
    @Override
    public String name() {
        return "merge-transposes";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Transpose");
    }

    @Override
    public Patch match(Node outer, OptGraph g) {
        Node inner = Match.soleProducer(g, outer.input(0), "Transpose");
        if (!outer.domain().isEmpty() || inner == null) {
            return null;
        }
        long[] p = Permutations.of(inner, g);
        long[] q = Permutations.of(outer, g);
        if (p == null || q == null || p.length != q.length) {
            return null;
        }
        long[] perm = Permutations.compose(p, q);
        if (Permutations.isIdentity(perm)) {
            Patch bypass = Bypass.of(outer, inner.input(0), g);
            return bypass == null ? null : Patch.builder().remove(inner, outer)
                    .reroute(outer.outputs().get(0), inner.input(0)).build();
        }
        Node merged = new Node(outer.name(), "Transpose", "", List.of(inner.input(0)), outer.outputs(),
                List.of(new Attribute.IntsAttr("perm", perm)));
        return Patch.replace(merged, inner, outer);
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import java.util.Set;

/** {@code Cast(x, to=T)} → {@code x} when x already has element type T. */
public final class RemoveNoOpCast implements RewriteRule {
    @Override
    public String name() {
        return "remove-noop-cast";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Cast");
    }

    @Override
    public Patch match(Node n, OptGraph g) {
        DType in = g.dtype(n.input(0));
        if (!n.domain().isEmpty() || in == null || in != Match.castTarget(n)) {
            return null;
        }
        return Bypass.of(n, n.input(0), g);
    }
}

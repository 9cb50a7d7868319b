package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.Set;

/**
 * A reshape-like node ({@code Reshape}, {@code Flatten}, {@code Squeeze}, {@code Unsqueeze},
 * {@code Expand}) whose output shape is certainly its input shape → its input.
 */
public final class RemoveNoOpReshape implements RewriteRule {
    @Override
    public String name() {
        return "remove-noop-reshape";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Expand");
    }

    @Override
    public Patch match(Node n, OptGraph g) {
        if (!n.domain().isEmpty() || !Match.sameShape(g.shape(n.input(0)), g.shape(n.outputs().get(0)))) {
            return null;
        }
        return Bypass.of(n, n.input(0), g);
    }
}

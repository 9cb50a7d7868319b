package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.Set;

/** {@code Identity(x)} → {@code x}. */
public final class RemoveIdentity implements RewriteRule {
    @Override
    public String name() {
        return "remove-identity";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Identity");
    }

    @Override
    public Patch match(Node n, OptGraph g) {
        return n.domain().isEmpty() && n.hasInput(0) ? Bypass.of(n, n.input(0), g) : null;
    }
}

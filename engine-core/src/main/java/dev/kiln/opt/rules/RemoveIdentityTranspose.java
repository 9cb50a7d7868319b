package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.Set;

/** {@code Transpose(x, perm=[0, 1, ..., n-1])} → {@code x}. */
public final class RemoveIdentityTranspose implements RewriteRule {
    @Override
    public String name() {
        return "remove-identity-transpose";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Transpose");
    }

    @Override
    public Patch match(Node n, OptGraph g) {
        long[] perm = n.domain().isEmpty() ? Permutations.of(n, g) : null;
        return perm != null && Permutations.isIdentity(perm) ? Bypass.of(n, n.input(0), g) : null;
    }
}

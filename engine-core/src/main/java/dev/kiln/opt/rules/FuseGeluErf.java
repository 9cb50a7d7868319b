package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.List;
import java.util.Set;

/**
 * GELU as {@code 0.5 x (1 + erf(x / sqrt 2))}, matched at its Erf ({@code x / sqrt 2} may be a
 * Div by sqrt 2 or a Mul by 1 / sqrt 2) → {@code kiln.Gelu(x)}.
 */
public final class FuseGeluErf implements RewriteRule {
    private static final double SQRT2 = Math.sqrt(2);

    @Override
    public String name() {
        return "fuse-gelu-erf";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Erf");
    }

    @Override
    public Patch match(Node erf, OptGraph g) {
        if (!erf.domain().isEmpty()) {
            return null;
        }
        String u = erf.input(0);
        Node scale = Match.soleProducer(g, u, "Div");
        String x;
        if (scale != null) {
            x = Match.isScalar(g, scale.input(1), SQRT2) ? scale.input(0) : null;
        } else {
            scale = Match.soleProducer(g, u, "Mul");
            x = scale == null ? null : Match.isScalar(g, scale.input(1), 1 / SQRT2) ? scale.input(0)
                    : Match.isScalar(g, scale.input(0), 1 / SQRT2) ? scale.input(1) : null;
        }
        Node addOne = GeluTail.addOne(g, erf.outputs().get(0));
        if (x == null || addOne == null || !Match.isFloat(g, x)) {
            return null;
        }
        return GeluTail.fuse(g, x, List.of(scale, erf), addOne, "none");
    }
}

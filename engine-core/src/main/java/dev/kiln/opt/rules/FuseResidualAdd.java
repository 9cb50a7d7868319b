package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.Set;

/**
 * A residual connection into the Conv that produces one of its operands:
 * {@code Add(Conv(x, W, B), z)} (or a two-input {@code Sum}) → {@code kiln.FusedConv(x, W, B, z)},
 * which adds {@code z} before its activation, so a following Relu fuses too. The operand taken
 * must not depend on the Conv, and {@code z} must have the output's shape.
 */
public final class FuseResidualAdd implements RewriteRule {
    @Override
    public String name() {
        return "fuse-residual-add";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Add", "Sum");
    }

    @Override
    public Patch match(Node add, OptGraph g) {
        if (!add.domain().isEmpty() || add.inputs().size() != 2 || add.input(0).equals(add.input(1))) {
            return null;
        }
        // Prefer the Conv that runs last: the other operand is then ready, and stays alive less long.
        int first = g.nodes().indexOf(g.producer(add.input(0))) > g.nodes().indexOf(g.producer(add.input(1))) ? 0 : 1;
        for (int k = 0; k < 2; k++) {
            int i = k == 0 ? first : 1 - first;
            String y = add.input(i);
            String z = add.input(1 - i);
            Node conv = g.singleUse(y) ? g.producer(y) : null;
            if (Fused.plainConv(conv, g) && Match.sameShape(g.shape(y), g.shape(z))
                    && Match.sameShape(g.shape(y), g.shape(add.outputs().get(0))) && Match.isFloat(g, z)
                    && !g.dependsOn(z, y)) {
                return Patch.replace(Fused.conv(conv, conv.input(2), z, add.outputs()), conv, add);
            }
        }
        return null;
    }
}

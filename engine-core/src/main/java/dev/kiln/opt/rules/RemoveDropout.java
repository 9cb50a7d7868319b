package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.Tensor;
import java.util.Set;

/**
 * {@code Dropout(x)} → {@code x} at inference: when its training_mode input is absent or a
 * constant false, and nothing reads its mask.
 */
public final class RemoveDropout implements RewriteRule {
    @Override
    public String name() {
        return "remove-dropout";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Dropout");
    }

    @Override
    public Patch match(Node n, OptGraph g) {
        if (!n.domain().isEmpty() || !n.hasInput(0) || n.attrInt("is_test", 1) == 0) {
            return null;
        }
        if (n.hasInput(2)) {
            Tensor training = g.constant(n.input(2));
            if (training == null || training.size() != 1 || training.getLong(0) != 0) {
                return null;
            }
        }
        return Bypass.of(n, n.input(0), g);
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A residual Add feeding a layer normalization → {@code kiln.SkipLayerNormalization(a, b, scale,
 * bias)}, one pass over memory instead of two. The fused operator broadcasts {@code a} and
 * {@code b} as Add does, so no shape needs to be known. When something else reads the sum too,
 * the fused node also returns it (output 1).
 */
public final class FuseSkipLayerNorm implements RewriteRule {
    @Override
    public String name() {
        return "fuse-skip-layer-norm";
    }

    @Override
    public Set<String> roots() {
        return Set.of("LayerNormalization");
    }

    @Override
    public Patch match(Node ln, OptGraph g) {
        boolean kiln = ln.domain().equals(OptGraph.KILN_DOMAIN);
        if (!kiln && !(ln.domain().isEmpty() && ln.attrInt("stash_type", 1) == 1 && unusedStatistics(ln, g))) {
            return null;
        }
        String sum = ln.input(0);
        Node add = Match.producer(g, sum, "Add");
        if (add == null || add.inputs().size() != 2 || !Match.isFloat(g, add.input(0), add.input(1))) {
            return null;
        }
        boolean sumUsed = g.consumers(sum).size() > 1 || g.isGraphOutput(sum);
        List<String> ins = new ArrayList<>(List.of(add.input(0), add.input(1), ln.input(1)));
        if (ln.hasInput(2)) {
            ins.add(ln.input(2));
        }
        List<String> outs = sumUsed ? List.of(ln.outputs().get(0), sum) : List.of(ln.outputs().get(0));
        Node fused = Match.kiln(ln.name(), "SkipLayerNormalization", ins, outs,
                List.of(new dev.kiln.graph.Attribute.IntAttr("axis", ln.attrInt("axis", -1)),
                        new dev.kiln.graph.Attribute.FloatAttr("epsilon", ln.attrFloat("epsilon", 1e-5f))));
        return Patch.replace(fused, add, ln);
    }

    private static boolean unusedStatistics(Node ln, OptGraph g) {
        for (int i = 1; i < ln.outputs().size(); i++) {
            String o = ln.outputs().get(i);
            if (!o.isEmpty() && (!g.consumers(o).isEmpty() || g.isGraphOutput(o))) {
                return false;
            }
        }
        return true;
    }
}

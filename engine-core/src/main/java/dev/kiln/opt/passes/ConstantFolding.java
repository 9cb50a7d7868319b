package dev.kiln.opt.passes;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Pass;
import dev.kiln.opt.Patch;
import dev.kiln.tensor.Tensor;

/**
 * Replaces every node whose outputs are all known at compile time by initializers. The values
 * were already computed by the compiler's type inference, which runs each node with constant
 * inputs through the kernels themselves (shape subgraphs included, once input shapes are fixed
 * or bound with {@link dev.kiln.Options#bindDim}).
 */
public final class ConstantFolding implements Pass {
    @Override
    public String name() {
        return "constant-folding";
    }

    @Override
    public boolean run(OptGraph g) {
        Patch.Builder p = Patch.builder();
        int folded = 0;
        for (Node n : g.nodes()) {
            if (foldable(n, g)) {
                p.remove(n);
                for (String o : n.outputs()) {
                    if (!o.isEmpty()) {
                        p.initializer(o, g.constant(o));
                    }
                }
                folded++;
            }
        }
        if (folded == 0) {
            return false;
        }
        g.apply(p.build(), name(), folded);
        return true;
    }

    private static boolean foldable(Node n, OptGraph g) {
        if (n.outputs().isEmpty() || !Graph.subgraphs(n).isEmpty()) {
            return false;
        }
        boolean any = false;
        for (String o : n.outputs()) {
            if (o.isEmpty()) {
                continue;
            }
            Tensor t = g.constant(o);
            if (t == null) {
                return false;
            }
            any = true;
        }
        return any;
    }
}

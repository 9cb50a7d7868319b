package dev.kiln.opt.passes;

import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Pass;
import dev.kiln.opt.Patch;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes nodes none of whose outputs reach a graph output, and initializers nothing reads
 * (ONNX operators have no side effects, so an unread result is dead).
 */
public final class DeadCodeElimination implements Pass {
    @Override
    public String name() {
        return "dead-code";
    }

    @Override
    public boolean run(OptGraph g) {
        Set<String> live = new HashSet<>();
        for (ValueInfo o : g.graph().outputs()) {
            live.add(o.name());
        }
        List<Node> nodes = g.nodes();
        Patch.Builder p = Patch.builder();
        int removed = 0;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            boolean used = false;
            for (String o : n.outputs()) {
                used |= !o.isEmpty() && live.contains(o);
            }
            if (used) {
                live.addAll(readsOf(n));
            } else {
                p.remove(n);
                removed++;
            }
        }
        for (String init : g.graph().initializers().keySet()) {
            if (!live.contains(init) && !g.isGraphInput(init)) {
                p.dropInitializer(init);
                removed++;
            }
        }
        if (removed == 0) {
            return false;
        }
        g.apply(p.build(), name(), removed);
        return true;
    }

    private static Set<String> readsOf(Node n) {
        Set<String> r = new HashSet<>();
        for (String in : n.inputs()) {
            if (!in.isEmpty()) {
                r.add(in);
            }
        }
        for (dev.kiln.graph.Graph sub : dev.kiln.graph.Graph.subgraphs(n)) {
            r.addAll(sub.freeVariables());
        }
        return r;
    }
}

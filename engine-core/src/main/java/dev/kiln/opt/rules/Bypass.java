package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;

/** Removing a node that passes a value through unchanged. */
final class Bypass {
    private Bypass() {
    }

    /**
     * The patch removing {@code n} so that readers of its output 0 read {@code source}, or
     * {@code null} when that would only move a copy: a graph output fed straight from a graph
     * input, an initializer or another graph output keeps its copying node.
     */
    static Patch of(Node n, String source, OptGraph g) {
        String out = n.outputs().get(0);
        for (int i = 1; i < n.outputs().size(); i++) {
            String o = n.outputs().get(i);
            if (!o.isEmpty() && (!g.consumers(o).isEmpty() || g.isGraphOutput(o))) {
                return null;
            }
        }
        if (g.isGraphOutput(out) && (g.producer(source) == null || g.isGraphOutput(source))) {
            return null;
        }
        return Patch.bypass(n, out, source);
    }
}

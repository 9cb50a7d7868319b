package dev.kiln.quantize;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import java.util.HashSet;
import java.util.Set;

/** Names for the values and nodes a quantizer adds, distinct from every name the graph has. */
final class FreshNames {
    private final Set<String> names = new HashSet<>();

    FreshNames(Graph g) {
        names.addAll(g.initializers().keySet());
        for (ValueInfo v : g.inputs()) {
            names.add(v.name());
        }
        for (Node n : g.nodes()) {
            names.addAll(n.inputs());
            names.addAll(n.outputs());
            names.add(n.name());
        }
    }

    /** {@code base}, or {@code base_N} for the first N that names nothing in the graph yet. */
    String fresh(String base) {
        String name = base;
        for (int i = 1; names.contains(name); i++) {
            name = base + "_" + i;
        }
        names.add(name);
        return name;
    }
}

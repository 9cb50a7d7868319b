package dev.kiln.quantize;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** What the quantizers do alike to the graph they write. */
final class QuantizedGraphs {
    private QuantizedGraphs() {
    }

    /**
     * Removes from {@code out} the initializers of {@code in} that none of {@code nodes} (nor a
     * subgraph of theirs, nor a graph output) reads any more: the float weights that were
     * replaced by their quantized copies.
     */
    static void dropUnreadWeights(Graph in, List<Node> nodes, Graph.Builder out) {
        Set<String> used = new HashSet<>();
        for (Node n : nodes) {
            used.addAll(n.inputs());
            for (Graph g : Graph.subgraphs(n)) {
                used.addAll(g.freeVariables());
            }
        }
        for (ValueInfo v : in.outputs()) {
            used.add(v.name());
        }
        Set<String> removed = new HashSet<>();
        for (String name : in.initializers().keySet()) {
            if (!used.contains(name)) {
                out.removeInitializer(name);
                removed.add(name);
            }
        }
        // Models before IR 4 list their initializers as graph inputs too.
        out.inputs(in.inputs().stream().filter(v -> !removed.contains(v.name())).toList());
    }
}

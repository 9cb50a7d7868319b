package dev.kiln.compile;

import dev.kiln.ModelFormatException;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Orders a graph's nodes so every value is produced before it is read, keeping file order
 * where it is already valid. Reports reads of values nothing produces, and cycles.
 */
final class TopoSort {
    private TopoSort() {
    }

    /**
     * @param available names defined before any node runs (inputs, initializers, outer scope)
     */
    static List<Node> sort(Graph g, Set<String> available) {
        List<Node> nodes = g.nodes();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String o : nodes.get(i).outputs()) {
                if (!o.isEmpty()) {
                    Integer prev = producer.put(o, i);
                    if (prev != null) {
                        throw new ModelFormatException("value '" + o + "' is produced by both "
                                + nodes.get(prev).describe() + " and " + nodes.get(i).describe()).forTensor(o);
                    }
                }
            }
        }
        int[] pending = new int[nodes.size()];
        List<List<Integer>> consumers = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            consumers.add(new ArrayList<>());
        }
        for (int i = 0; i < nodes.size(); i++) {
            Set<Integer> deps = new HashSet<>();
            for (String in : reads(nodes.get(i))) {
                Integer p = producer.get(in);
                if (p != null) {
                    if (p == i) {
                        throw new ModelFormatException("node " + nodes.get(i).describe() + " reads its own output '"
                                + in + "'").forTensor(in);
                    }
                    deps.add(p);
                } else if (!available.contains(in)) {
                    throw new ModelFormatException("node " + nodes.get(i).describe() + " reads '" + in
                            + "', which is neither a graph input, an initializer, nor produced by a node")
                            .atNode(nodes.get(i).describe()).forTensor(in);
                }
            }
            pending[i] = deps.size();
            for (int d : deps) {
                consumers.get(d).add(i);
            }
        }
        // A priority queue on file index keeps the original order whenever it is valid.
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<Node> out = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            int i = ready.poll();
            out.add(nodes.get(i));
            for (int c : consumers.get(i)) {
                if (--pending[c] == 0) {
                    ready.add(c);
                }
            }
        }
        if (out.size() != nodes.size()) {
            ArrayDeque<String> stuck = new ArrayDeque<>();
            for (int i = 0; i < nodes.size() && stuck.size() < 5; i++) {
                if (pending[i] > 0) {
                    stuck.add(nodes.get(i).describe());
                }
            }
            throw new ModelFormatException("the graph has a cycle through " + String.join(", ", stuck));
        }
        return out;
    }

    /** The values a node reads: its inputs and what its subgraphs read from outside. */
    static Set<String> reads(Node n) {
        Set<String> r = new java.util.LinkedHashSet<>();
        for (String in : n.inputs()) {
            if (!in.isEmpty()) {
                r.add(in);
            }
        }
        for (Graph sub : Graph.subgraphs(n)) {
            r.addAll(sub.freeVariables());
        }
        return r;
    }
}

package dev.kiln.opt;

import dev.kiln.graph.Node;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A change to a graph, as a rule returns it: nodes to remove, nodes to add, values to reroute
 * (every reader of {@code from} reads {@code to} instead) and new constant initializers.
 * Applied atomically by {@link OptGraph#apply}; a fused node usually takes over the output
 * names of the last node it replaces, so nothing needs rerouting.
 */
public final class Patch {
    private final List<Node> removed;
    private final List<Node> added;
    private final Map<String, String> reroutes;
    private final Map<String, Tensor> initializers;
    private final List<String> droppedInitializers;

    private Patch(Builder b) {
        this.removed = List.copyOf(b.removed);
        this.added = List.copyOf(b.added);
        this.reroutes = Collections.unmodifiableMap(new LinkedHashMap<>(b.reroutes));
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(b.initializers));
        this.droppedInitializers = List.copyOf(b.droppedInitializers);
    }

    /** A new, empty patch builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Replaces {@code matched} by {@code replacement} (which computes the matched outputs it names). */
    public static Patch replace(Node replacement, Node... matched) {
        return builder().remove(matched).add(replacement).build();
    }

    /** Removes {@code node} and lets the readers of its output {@code output} read {@code source}. */
    public static Patch bypass(Node node, String output, String source) {
        return builder().remove(node).reroute(output, source).build();
    }

    /** The nodes to remove (by identity). */
    public List<Node> removed() {
        return removed;
    }

    /** The nodes to add, in an order where each reads only values defined before it. */
    public List<Node> added() {
        return added;
    }

    /** Values whose readers move to another value: {@code from -> to}. */
    public Map<String, String> reroutes() {
        return reroutes;
    }

    /** New constant initializers by name. */
    public Map<String, Tensor> initializers() {
        return initializers;
    }

    /** Initializers nothing reads any more, to drop. */
    public List<String> droppedInitializers() {
        return droppedInitializers;
    }

    @Override
    public String toString() {
        return "Patch[-" + removed.size() + " +" + added.size() + " nodes, " + reroutes.size() + " reroutes, "
                + initializers.size() + " initializers]";
    }

    /** Assembles a {@link Patch}. */
    public static final class Builder {
        private final List<Node> removed = new ArrayList<>();
        private final List<Node> added = new ArrayList<>();
        private final Map<String, String> reroutes = new LinkedHashMap<>();
        private final Map<String, Tensor> initializers = new LinkedHashMap<>();
        private final List<String> droppedInitializers = new ArrayList<>();

        private Builder() {
        }

        /** Removes nodes (they must be in the graph). */
        public Builder remove(Node... nodes) {
            for (Node n : nodes) {
                if (n != null && !removed.contains(n)) {
                    removed.add(n);
                }
            }
            return this;
        }

        /** Removes nodes (they must be in the graph). */
        public Builder remove(List<Node> nodes) {
            return remove(nodes.toArray(new Node[0]));
        }

        /** Adds a node. */
        public Builder add(Node n) {
            added.add(n);
            return this;
        }

        /** Makes every reader of {@code from} (graph outputs included) read {@code to}. */
        public Builder reroute(String from, String to) {
            if (!from.equals(to)) {
                reroutes.put(from, to);
            }
            return this;
        }

        /** Adds a constant initializer. */
        public Builder initializer(String name, Tensor value) {
            initializers.put(name, value);
            return this;
        }

        /** Drops an initializer nothing reads (a graph input keeps its default). */
        public Builder dropInitializer(String name) {
            droppedInitializers.add(name);
            return this;
        }

        public Patch build() {
            return new Patch(this);
        }
    }
}

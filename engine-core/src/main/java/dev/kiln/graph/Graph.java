package dev.kiln.graph;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A computation graph: nodes, the graph's inputs and outputs, constant initializers, declared
 * value types, and the opset imports and functions it is read against. Immutable; made with a
 * {@link Builder} and rewritten into new graphs by the optimizer.
 *
 * <p>A subgraph (the body of If, Loop, Scan) is a Graph too. It may read values of the graphs
 * that enclose it by name; {@link #freeVariables()} lists those.
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes;
    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;
    private final Map<String, Tensor> initializers;
    private final Map<String, ValueInfo> valueInfo;
    private final Map<String, Integer> opsets;
    private final Map<String, Function> functions;
    private Set<String> freeVariables;

    private Graph(Builder b) {
        this.name = b.name;
        this.nodes = List.copyOf(b.nodes);
        this.inputs = List.copyOf(b.inputs);
        this.outputs = List.copyOf(b.outputs);
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(b.initializers));
        this.valueInfo = Collections.unmodifiableMap(new LinkedHashMap<>(b.valueInfo));
        this.opsets = Map.copyOf(b.opsets);
        this.functions = Map.copyOf(b.functions);
    }

    /** A new, empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding a copy of this graph. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.nodes.addAll(nodes);
        b.inputs.addAll(inputs);
        b.outputs.addAll(outputs);
        b.initializers.putAll(initializers);
        b.valueInfo.putAll(valueInfo);
        b.opsets.putAll(opsets);
        b.functions.putAll(functions);
        return b;
    }

    /** The graph's name. */
    public String name() {
        return name;
    }

    /** The nodes, in file order (which ONNX requires to be topological, but Kiln does not assume). */
    public List<Node> nodes() {
        return nodes;
    }

    /** The declared inputs, including those with an initializer (older IR versions list them). */
    public List<ValueInfo> inputs() {
        return inputs;
    }

    /** The inputs a caller must supply: declared inputs without an initializer. */
    public List<ValueInfo> requiredInputs() {
        List<ValueInfo> r = new ArrayList<>();
        for (ValueInfo v : inputs) {
            if (!initializers.containsKey(v.name())) {
                r.add(v);
            }
        }
        return r;
    }

    /** The declared outputs. */
    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** Constant tensors by name. */
    public Map<String, Tensor> initializers() {
        return initializers;
    }

    /** Declared types of intermediate values, by name. */
    public Map<String, ValueInfo> valueInfo() {
        return valueInfo;
    }

    /** Opset version by domain (the default domain is the empty string). */
    public Map<String, Integer> opsets() {
        return opsets;
    }

    /** The opset version imported for {@code domain}, or 0 when not imported. */
    public int opset(String domain) {
        return opsets.getOrDefault(domain, 0);
    }

    /** Model-local functions by {@link Function#key}. */
    public Map<String, Function> functions() {
        return functions;
    }

    /**
     * Names this graph (or its nested subgraphs) reads but does not define: values of the
     * enclosing graphs.
     */
    public synchronized Set<String> freeVariables() {
        if (freeVariables == null) {
            Set<String> defined = new HashSet<>(initializers.keySet());
            for (ValueInfo v : inputs) {
                defined.add(v.name());
            }
            for (Node n : nodes) {
                defined.addAll(n.outputs());
            }
            Set<String> free = new java.util.LinkedHashSet<>();
            for (Node n : nodes) {
                for (String in : n.inputs()) {
                    if (!in.isEmpty() && !defined.contains(in)) {
                        free.add(in);
                    }
                }
                for (Graph g : subgraphs(n)) {
                    for (String in : g.freeVariables()) {
                        if (!defined.contains(in)) {
                            free.add(in);
                        }
                    }
                }
            }
            for (ValueInfo o : outputs) {
                if (!defined.contains(o.name())) {
                    free.add(o.name());
                }
            }
            freeVariables = Collections.unmodifiableSet(free);
        }
        return freeVariables;
    }

    /** The graph-valued attributes of a node. */
    public static List<Graph> subgraphs(Node n) {
        List<Graph> r = new ArrayList<>();
        for (Attribute a : n.attributes().values()) {
            if (a instanceof Attribute.GraphAttr g) {
                r.add(g.value());
            } else if (a instanceof Attribute.GraphsAttr gs) {
                r.addAll(gs.values());
            }
        }
        return r;
    }

    @Override
    public String toString() {
        return "Graph(" + name + ", " + nodes.size() + " nodes)";
    }

    /** Assembles a {@link Graph}. */
    public static final class Builder {
        private String name = "";
        private final List<Node> nodes = new ArrayList<>();
        private final List<ValueInfo> inputs = new ArrayList<>();
        private final List<ValueInfo> outputs = new ArrayList<>();
        private final Map<String, Tensor> initializers = new LinkedHashMap<>();
        private final Map<String, ValueInfo> valueInfo = new LinkedHashMap<>();
        private final Map<String, Integer> opsets = new LinkedHashMap<>();
        private final Map<String, Function> functions = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder name(String n) {
            this.name = n == null ? "" : n;
            return this;
        }

        public Builder addNode(Node n) {
            nodes.add(n);
            return this;
        }

        public Builder nodes(List<Node> ns) {
            nodes.clear();
            nodes.addAll(ns);
            return this;
        }

        public Builder addInput(ValueInfo v) {
            inputs.add(v);
            return this;
        }

        public Builder inputs(List<ValueInfo> vs) {
            inputs.clear();
            inputs.addAll(vs);
            return this;
        }

        public Builder addOutput(ValueInfo v) {
            outputs.add(v);
            return this;
        }

        public Builder outputs(List<ValueInfo> vs) {
            outputs.clear();
            outputs.addAll(vs);
            return this;
        }

        public Builder initializer(String n, Tensor t) {
            initializers.put(n, t);
            return this;
        }

        public Builder removeInitializer(String n) {
            initializers.remove(n);
            return this;
        }

        public Builder valueInfo(ValueInfo v) {
            valueInfo.put(v.name(), v);
            return this;
        }

        public Builder opset(String domain, int version) {
            opsets.put(domain == null || domain.equals("ai.onnx") ? "" : domain, version);
            return this;
        }

        public Builder opsets(Map<String, Integer> m) {
            m.forEach(this::opset);
            return this;
        }

        public Builder function(Function f) {
            functions.put(Function.key(f.domain(), f.name()), f);
            return this;
        }

        public Builder functions(Map<String, Function> fs) {
            functions.putAll(fs);
            return this;
        }

        public Graph build() {
            return new Graph(this);
        }
    }
}

package dev.kiln.opt;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph being optimized, as passes and rules see it: nodes in execution order, who produces
 * and who reads each value, static types and compile-time constants. It changes only through
 * {@link #apply(Patch, String)}, which keeps these indexes and the types of new values current.
 */
public final class OptGraph {
    /** The domain of Kiln's fused operators. */
    public static final String KILN_DOMAIN = "kiln";

    /** Ranks the backends that would run an operator: lower runs first; {@link Integer#MAX_VALUE} when none can. */
    @FunctionalInterface
    public interface BackendRank {
        int rank(String domain, String opType);
    }

    private final Analyzer analyzer;
    private final BackendRank backends;
    private final Set<String> outer;
    /**
     * Graph outputs no node, input or initializer defines in the graph as given: the compiler
     * reports them as it does without passes; the checks after each patch ignore them.
     */
    private final Set<String> undefinedOutputs = new HashSet<>();
    private final Map<String, Integer> ruleCounts = new LinkedHashMap<>();
    private Graph graph;
    private Analysis analysis;
    private List<Node> order;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();
    private final Set<Node> present = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<String> outputs = new HashSet<>();
    private final Set<String> inputs = new HashSet<>();
    private final Set<String> used = new HashSet<>();

    /**
     * @param graph the graph
     * @param analysis its analysis (by {@code analyzer})
     * @param analyzer the compiler's ordering and inference
     * @param outer names visible from enclosing graphs (empty for a main graph)
     */
    public OptGraph(Graph graph, Analysis analysis, Analyzer analyzer, Set<String> outer) {
        this(graph, analysis, analyzer, outer, (domain, op) -> 0);
    }

    /**
     * @param backends which backend would run an operator, so that a fusion never moves work
     *     to a less preferred backend (see {@link #preferred})
     */
    public OptGraph(Graph graph, Analysis analysis, Analyzer analyzer, Set<String> outer, BackendRank backends) {
        this.analyzer = analyzer;
        this.backends = backends;
        this.outer = Set.copyOf(outer);
        this.graph = graph.toBuilder().nodes(analysis.order()).build();
        this.analysis = analysis;
        this.order = analysis.order();
        Set<String> defined = new HashSet<>(this.outer);
        defined.addAll(graph.initializers().keySet());
        graph.inputs().forEach(in -> defined.add(in.name()));
        graph.nodes().forEach(n -> defined.addAll(n.outputs()));
        graph.outputs().forEach(o -> {
            if (!defined.contains(o.name())) {
                undefinedOutputs.add(o.name());
            }
        });
        index();
    }

    // ------------------------------------------------------------------ queries

    /** The current graph, nodes in execution order. */
    public Graph graph() {
        return graph;
    }

    /** The current analysis (types and constants of every value). */
    public Analysis analysis() {
        return analysis;
    }

    /** The nodes in execution order. */
    public List<Node> nodes() {
        return order;
    }

    /** True while {@code n} (by identity) is part of the graph. */
    public boolean contains(Node n) {
        return present.contains(n);
    }

    /** The node producing {@code value}, or {@code null} for inputs, initializers and outer values. */
    public Node producer(String value) {
        return producers.get(value);
    }

    /** The nodes reading {@code value} (directly, or through a subgraph), each once. */
    public List<Node> consumers(String value) {
        List<Node> c = consumers.get(value);
        return c == null ? List.of() : Collections.unmodifiableList(c);
    }

    /** True when {@code value} is one of the graph's outputs. */
    public boolean isGraphOutput(String value) {
        return outputs.contains(value);
    }

    /** True when {@code value} is a graph input (a caller may supply it). */
    public boolean isGraphInput(String value) {
        return inputs.contains(value);
    }

    /**
     * True when exactly one node reads {@code value} and it is not a graph output: a pattern
     * that consumes it may delete its producer.
     */
    public boolean singleUse(String value) {
        return consumers(value).size() == 1 && !isGraphOutput(value);
    }

    /** The static type of a value, or {@code null}. */
    public ValueType type(String value) {
        return value.isEmpty() ? null : analysis.types().get(value);
    }

    /** The tensor type of a value, or {@code null} when unknown or not a tensor. */
    public ValueType.TensorType tensorType(String value) {
        return type(value) instanceof ValueType.TensorType t ? t : null;
    }

    /** The element type of a tensor value, or {@code null} when unknown. */
    public DType dtype(String value) {
        ValueType.TensorType t = tensorType(value);
        return t == null ? null : t.dtype();
    }

    /** The (possibly symbolic) shape of a tensor value, or {@code null} when even its rank is unknown. */
    public SymbolicShape shape(String value) {
        ValueType.TensorType t = tensorType(value);
        return t == null ? null : t.shape();
    }

    /** The value of {@code value} when known at compile time (an initializer or a folded result), else {@code null}. */
    public Tensor constant(String value) {
        return value.isEmpty() ? null : analysis.constants().get(value);
    }

    /** The opset version imported for {@code domain} (0 when not imported). */
    public int opset(String domain) {
        return graph.opset(domain);
    }

    /** True when {@code value} is computed (through any chain of nodes) from {@code source}. */
    public boolean dependsOn(String value, String source) {
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(value));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String v = todo.pop();
            if (v.equals(source)) {
                return true;
            }
            Node p = producers.get(v);
            if (p == null || !seen.add(v)) {
                continue;
            }
            for (String in : reads(p)) {
                todo.push(in);
            }
        }
        return false;
    }

    /** A value or node name not used anywhere in the graph yet, based on {@code hint}; reserved once returned. */
    public String freshName(String hint) {
        String base = hint == null || hint.isEmpty() ? "v" : hint;
        String name = base;
        for (int i = 1; used.contains(name); i++) {
            name = base + "_" + i;
        }
        used.add(name);
        return name;
    }

    /**
     * True when every node the patch adds runs on a backend at least as preferred as the best
     * one among the nodes it removes: a fused operator that only the reference backend has must
     * not replace operators a faster backend runs.
     */
    public boolean preferred(Patch patch) {
        int best = Integer.MAX_VALUE;
        for (Node n : patch.removed()) {
            best = Math.min(best, backends.rank(n.domain(), n.opType()));
        }
        for (Node n : patch.added()) {
            if (backends.rank(n.domain(), n.opType()) > best) {
                return false;
            }
        }
        return true;
    }

    /** How many patches each rule (or pass) has applied so far. */
    public Map<String, Integer> ruleCounts() {
        return Collections.unmodifiableMap(ruleCounts);
    }

    // ------------------------------------------------------------------ changes

    /**
     * Applies a patch: removes and adds nodes, reroutes readers, adds initializers, then types
     * the new values. A rerouted graph output keeps its name: the value it now comes from is
     * renamed to it when a node produces that value, else an Identity node copies it.
     *
     * @param by the rule or pass applying it, counted in {@link #ruleCounts()}
     * @throws IllegalStateException when the patch leaves a value read but undefined
     */
    public void apply(Patch patch, String by) {
        apply(patch, by, 1);
    }

    /** Applies a patch that does {@code count} rewrites at once (a whole-graph pass), counted as such. */
    public void apply(Patch patch, String by, int count) {
        Set<Node> removed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : patch.removed()) {
            if (!present.contains(n)) {
                throw new IllegalStateException(by + ": removes a node that is not in the graph: " + n);
            }
            removed.add(n);
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : order) {
            if (!removed.contains(n)) {
                nodes.add(n);
            }
        }
        for (Node n : patch.added()) {
            nodes.add(placeFor(nodes, n), n);
        }
        List<Node> identities = new ArrayList<>();
        for (Map.Entry<String, String> r : patch.reroutes().entrySet()) {
            reroute(nodes, r.getKey(), r.getValue(), identities);
        }
        nodes.addAll(identities);
        Graph.Builder b = graph.toBuilder().nodes(nodes);
        patch.initializers().forEach(b::initializer);
        for (String name : patch.droppedInitializers()) {
            if (!inputs.contains(name)) {
                b.removeInitializer(name);
                analysis.constants().remove(name);
            }
        }
        for (Node n : patch.added()) {
            if (n.domain().equals(KILN_DOMAIN) && graph.opset(KILN_DOMAIN) == 0) {
                b.opset(KILN_DOMAIN, 1);
            }
        }
        Graph next = b.build();
        checkDefined(next, by);
        List<Node> sorted = inOrder(next) ? nodes : analyzer.sort(next);
        graph = sorted == nodes ? next : next.toBuilder().nodes(sorted).build();
        patch.initializers().forEach((name, t) -> {
            analysis.constants().put(name, t);
            analysis.types().put(name, t.type());
        });
        Set<Node> fresh = Collections.newSetFromMap(new IdentityHashMap<>());
        fresh.addAll(patch.added());
        fresh.addAll(identities);
        List<Node> toInfer = new ArrayList<>();
        for (Node n : sorted) {
            if (fresh.contains(n)) {
                toInfer.add(n);
            }
        }
        reindex(sorted);
        analyzer.infer(toInfer, graph, analysis);
        ruleCounts.merge(by, count, Integer::sum);
    }

    /** Where to insert a new node: right after the last node producing something it reads. */
    private static int placeFor(List<Node> nodes, Node n) {
        Set<String> needs = reads(n);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            for (String o : nodes.get(i).outputs()) {
                if (needs.contains(o)) {
                    return i + 1;
                }
            }
        }
        return 0;
    }

    /** True when every node reads only values defined before it (inputs, initializers, outer values, earlier outputs). */
    private boolean inOrder(Graph g) {
        Set<String> defined = new HashSet<>(outer);
        defined.addAll(g.initializers().keySet());
        for (ValueInfo in : g.inputs()) {
            defined.add(in.name());
        }
        for (Node n : g.nodes()) {
            if (!defined.containsAll(reads(n))) {
                return false;
            }
            defined.addAll(n.outputs());
        }
        return true;
    }

    /** Recomputes the order, every type and every constant from scratch. */
    public void reanalyze() {
        analysis = analyzer.analyze(graph);
        order = analysis.order();
        graph = graph.toBuilder().nodes(order).build();
        index();
    }

    private void reroute(List<Node> nodes, String from, String to, List<Node> identities) {
        for (int i = 0; i < nodes.size(); i++) {
            nodes.set(i, renameReads(nodes.get(i), from, to));
        }
        if (!outputs.contains(from)) {
            return;
        }
        int producer = -1;
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).outputs().contains(to)) {
                producer = i;
            }
        }
        if (producer >= 0 && !outputs.contains(to) && !inputs.contains(to)) {
            // The graph output keeps its name: the node now producing it is renamed to it.
            for (int i = 0; i < nodes.size(); i++) {
                Node n = renameReads(nodes.get(i), to, from);
                if (i == producer) {
                    List<String> outs = new ArrayList<>(n.outputs());
                    outs.replaceAll(o -> o.equals(to) ? from : o);
                    n = n.withIo(n.inputs(), outs);
                }
                nodes.set(i, n);
            }
            ValueType t = analysis.types().get(to);
            if (t != null && !analysis.types().containsKey(from)) {
                analysis.types().put(from, t);
            }
        } else {
            identities.add(new Node(freshName(from + "/copy"), "Identity", "", List.of(to), List.of(from), List.of()));
        }
    }

    /** The node with every read of {@code from} (its subgraphs' included) reading {@code to}. */
    static Node renameReads(Node n, String from, String to) {
        boolean changed = false;
        List<String> ins = new ArrayList<>(n.inputs());
        for (int i = 0; i < ins.size(); i++) {
            if (ins.get(i).equals(from)) {
                ins.set(i, to);
                changed = true;
            }
        }
        List<Attribute> attrs = new ArrayList<>();
        for (Attribute a : n.attributes().values()) {
            Attribute r = a;
            if (a instanceof Attribute.GraphAttr g && g.value().freeVariables().contains(from)) {
                r = new Attribute.GraphAttr(a.name(), renameReads(g.value(), from, to));
                changed = true;
            } else if (a instanceof Attribute.GraphsAttr gs) {
                List<Graph> l = new ArrayList<>();
                for (Graph g : gs.values()) {
                    l.add(g.freeVariables().contains(from) ? renameReads(g, from, to) : g);
                }
                if (!l.equals(gs.values())) {
                    r = new Attribute.GraphsAttr(a.name(), l);
                    changed = true;
                }
            }
            attrs.add(r);
        }
        return changed ? new Node(n.name(), n.opType(), n.domain(), ins, n.outputs(), attrs) : n;
    }

    private static Graph renameReads(Graph g, String from, String to) {
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            nodes.add(renameReads(n, from, to));
        }
        List<ValueInfo> outs = new ArrayList<>();
        for (ValueInfo o : g.outputs()) {
            outs.add(o.name().equals(from) ? new ValueInfo(to, o.type()) : o);
        }
        return g.toBuilder().nodes(nodes).outputs(outs).build();
    }

    private void checkDefined(Graph g, String by) {
        Set<String> defined = new HashSet<>(outer);
        defined.addAll(g.initializers().keySet());
        for (ValueInfo in : g.inputs()) {
            defined.add(in.name());
        }
        for (Node n : g.nodes()) {
            for (String o : n.outputs()) {
                if (!o.isEmpty() && !defined.add(o) && !g.initializers().containsKey(o)) {
                    throw new IllegalStateException(by + ": value '" + o + "' is defined twice");
                }
            }
        }
        for (Node n : g.nodes()) {
            for (String in : reads(n)) {
                if (!defined.contains(in)) {
                    throw new IllegalStateException(by + ": " + n.describe() + " reads '" + in + "', which is no longer defined");
                }
            }
        }
        for (ValueInfo o : g.outputs()) {
            if (!defined.contains(o.name()) && !undefinedOutputs.contains(o.name())) {
                throw new IllegalStateException(by + ": graph output '" + o.name() + "' is no longer defined");
            }
        }
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

    /** Updates the indexes for a new node list: only nodes that left or joined are looked at. */
    private void reindex(List<Node> next) {
        Set<Node> now = Collections.newSetFromMap(new IdentityHashMap<>());
        now.addAll(next);
        for (Node n : order) {
            if (!now.contains(n)) {
                present.remove(n);
                for (String o : n.outputs()) {
                    if (producers.get(o) == n) {
                        producers.remove(o);
                    }
                }
                for (String in : reads(n)) {
                    List<Node> c = consumers.get(in);
                    if (c != null) {
                        c.remove(n);
                    }
                }
            }
        }
        for (Node n : next) {
            if (present.add(n)) {
                indexNode(n);
            }
        }
        order = next;
    }

    private void indexNode(Node n) {
        used.add(n.name());
        for (String o : n.outputs()) {
            if (!o.isEmpty()) {
                producers.put(o, n);
                used.add(o);
            }
        }
        for (String in : reads(n)) {
            consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        for (Graph sub : Graph.subgraphs(n)) {
            collectNames(sub, used);
        }
    }

    private void index() {
        producers.clear();
        consumers.clear();
        present.clear();
        outputs.clear();
        inputs.clear();
        used.addAll(outer);
        used.addAll(graph.initializers().keySet());
        for (ValueInfo in : graph.inputs()) {
            inputs.add(in.name());
            used.add(in.name());
        }
        for (ValueInfo o : graph.outputs()) {
            outputs.add(o.name());
        }
        for (Node n : order) {
            present.add(n);
            indexNode(n);
        }
    }

    private static void collectNames(Graph g, Set<String> names) {
        names.addAll(g.initializers().keySet());
        for (ValueInfo in : g.inputs()) {
            names.add(in.name());
        }
        for (Node n : g.nodes()) {
            names.addAll(n.outputs());
            for (Graph sub : Graph.subgraphs(n)) {
                collectNames(sub, names);
            }
        }
    }
}

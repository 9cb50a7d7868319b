package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.ops.Shapes;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Consecutive float32 elementwise operators → one {@code kiln.Elementwise} node whose
 * {@code body} attribute is the chain as a small graph, run as one loop over the output (one
 * pass over memory instead of one per operator). Inputs broadcast as in the original operators;
 * a producer is merged only when its output already has the consumer's shape, so nothing is
 * recomputed per broadcast element. One-element constants become body initializers.
 */
public final class FuseElementwiseChain implements RewriteRule {
    /** The default-domain operators a body may hold (the reference kernel implements each). */
    public static final Set<String> OPS = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Abs", "Neg", "Exp",
            "Log", "Sqrt", "Reciprocal", "Relu", "Sigmoid", "Tanh", "Erf", "Floor", "Ceil", "Sin", "Cos", "Softplus",
            "LeakyRelu", "HardSigmoid", "HardSwish", "Elu", "Selu", "Cast", "Gelu");
    private static final Set<String> ROOTS;

    static {
        java.util.HashSet<String> r = new java.util.HashSet<>(OPS);
        r.add("Elementwise");
        ROOTS = Set.copyOf(r);
    }

    @Override
    public String name() {
        return "fuse-elementwise-chain";
    }

    @Override
    public Set<String> roots() {
        return ROOTS;
    }

    @Override
    public Patch match(Node e, OptGraph g) {
        if (!eligible(e, g)) {
            return null;
        }
        SymbolicShape out = g.shape(e.outputs().get(0));
        for (String v : new java.util.LinkedHashSet<>(e.inputs())) {
            Node p = g.singleUse(v) ? g.producer(v) : null;
            if (p != null && eligible(p, g) && Match.sameShape(g.shape(v), out)) {
                Node fused = merge(p, v, e, g, true);
                if (fused == null) {
                    fused = merge(p, v, e, g, false);
                }
                if (fused != null) {
                    return Patch.replace(fused, p, e);
                }
            }
        }
        return null;
    }

    /** True for a float32-valued elementwise node of a known shape that a body can hold. */
    static boolean eligible(Node n, OptGraph g) {
        if (n.outputs().size() != 1 || !Match.isFloat(g, n.outputs().get(0)) || g.shape(n.outputs().get(0)) == null) {
            return false;
        }
        if (n.domain().equals(OptGraph.KILN_DOMAIN)) {
            return n.opType().equals("Elementwise") || n.opType().equals("Gelu");
        }
        if (!n.domain().isEmpty() || !OPS.contains(n.opType())) {
            return false;
        }
        if (n.opType().equals("Cast")) {
            DType in = g.dtype(n.input(0));
            return in != null && Match.castTarget(n) != null && (in.isFloat() || in.isInteger() || in == DType.BOOL) && in != DType.STRING;
        }
        if ((n.opType().equals("Max") || n.opType().equals("Min")) && n.inputs().size() != 2) {
            return false;
        }
        for (String in : n.inputs()) {
            if (in.isEmpty() || !Match.isFloat(g, in)) {
                return false;
            }
        }
        return true;
    }

    /** The merged node, or {@code null} when its inputs would not broadcast to the consumer's shape. */
    private static Node merge(Node p, String v, Node e, OptGraph g, boolean inlineConstants) {
        Body b = new Body(g, inlineConstants);
        String produced = b.inline(p, Map.of());
        String result = b.inline(e, Map.of(v, produced));
        List<SymbolicShape> shapes = new ArrayList<>();
        for (String in : b.outer.keySet()) {
            shapes.add(g.shape(in));
        }
        SymbolicShape out = g.shape(e.outputs().get(0));
        try {
            if (shapes.isEmpty() || !Match.sameShape(Shapes.broadcast(shapes.toArray(new SymbolicShape[0])), out)) {
                return null;
            }
        } catch (IllegalArgumentException | NullPointerException ex) {
            return null;
        }
        Graph body = b.graph(result);
        return Match.kiln(e.name(), "Elementwise", List.copyOf(b.outer.keySet()), e.outputs(),
                List.of(new Attribute.GraphAttr("body", body)));
    }

    /** Builds a body graph: outer values become inputs x0, x1...; operator results t0, t1...; constants c0, c1.... */
    private static final class Body {
        private final OptGraph g;
        private final boolean inlineConstants;
        final Map<String, String> outer = new LinkedHashMap<>();
        private final List<Node> nodes = new ArrayList<>();
        private final Map<String, Tensor> constants = new LinkedHashMap<>();
        private int values;

        Body(OptGraph g, boolean inlineConstants) {
            this.g = g;
            this.inlineConstants = inlineConstants;
        }

        /** Adds node {@code n} (a plain operator or an Elementwise body); returns the body name of its result. */
        String inline(Node n, Map<String, String> given) {
            if (n.domain().equals(OptGraph.KILN_DOMAIN) && n.opType().equals("Elementwise")) {
                Graph inner = n.attrGraph("body");
                Map<String, String> rename = new HashMap<>();
                for (int i = 0; i < inner.inputs().size(); i++) {
                    rename.put(inner.inputs().get(i).name(), operand(n.input(i), given));
                }
                inner.initializers().forEach((name, t) -> rename.put(name, constant(t)));
                for (Node in : inner.nodes()) {
                    List<String> ins = new ArrayList<>();
                    for (String x : in.inputs()) {
                        ins.add(x.isEmpty() ? "" : rename.get(x));
                    }
                    String o = "t" + values++;
                    rename.put(in.outputs().get(0), o);
                    nodes.add(new Node("", in.opType(), in.domain(), ins, List.of(o), List.copyOf(in.attributes().values())));
                }
                return rename.get(inner.outputs().get(0).name());
            }
            List<String> ins = new ArrayList<>();
            for (String x : n.inputs()) {
                ins.add(operand(x, given));
            }
            String o = "t" + values++;
            nodes.add(new Node("", n.opType(), n.domain(), ins, List.of(o), List.copyOf(n.attributes().values())));
            return o;
        }

        private String operand(String x, Map<String, String> given) {
            if (given.containsKey(x)) {
                return given.get(x);
            }
            Tensor c = g.constant(x);
            if (inlineConstants && c != null && c.size() == 1) {
                return constant(c);
            }
            return outer.computeIfAbsent(x, k -> "x" + outer.size());
        }

        private String constant(Tensor t) {
            String name = "c" + constants.size();
            constants.put(name, t);
            return name;
        }

        Graph graph(String result) {
            Graph.Builder b = Graph.builder().name("body").opsets(g.graph().opsets());
            outer.forEach((value, name) -> b.addInput(new ValueInfo(name, ValueType.tensor(g.dtype(value)))));
            constants.forEach(b::initializer);
            nodes.forEach(b::addNode);
            return b.addOutput(new ValueInfo(result, ValueType.tensor(DType.FLOAT))).build();
        }
    }
}

package dev.kiln.compile;

import dev.kiln.ModelFormatException;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Function;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;
import java.util.function.UnaryOperator;

/**
 * Replaces calls of model-local functions by their bodies: formal inputs and outputs become the
 * call's values, inner values get a unique prefix, and attribute references take the caller's
 * attribute or the function's default. Graph attributes in a body (an If inside a function) are
 * rewritten the same way for the values they read from the function, and domains only a
 * function imports are added to the graph's opsets.
 */
final class FunctionInliner {
    private static final int MAX_DEPTH = 32;

    private FunctionInliner() {
    }

    /**
     * @param hasKernel true when a backend runs {@code (domain, opType)} directly; such calls are kept
     */
    static Graph inline(Graph g, BiPredicate<String, String> hasKernel) {
        if (g.functions().isEmpty()) {
            return g;
        }
        List<Node> out = new ArrayList<>();
        int[] counter = {0};
        Map<String, Integer> opsets = new HashMap<>();
        boolean changed = false;
        for (Node n : g.nodes()) {
            Function f = g.functions().get(Function.key(n.domain(), n.opType()));
            if (f != null && !hasKernel.test(n.domain(), n.opType())) {
                expand(n, f, g.functions(), hasKernel, out, counter, 0, opsets);
                changed = true;
            } else {
                out.add(n);
            }
        }
        if (!changed) {
            return g;
        }
        // A body's operators take the model's version of their domain; domains only the
        // function imports take the function's version.
        Graph.Builder b = g.toBuilder().nodes(out);
        opsets.forEach((domain, version) -> {
            if (!g.opsets().containsKey(domain)) {
                b.opset(domain, version);
            }
        });
        return b.build();
    }

    private static void expand(Node call, Function f, Map<String, Function> functions,
                               BiPredicate<String, String> hasKernel, List<Node> out, int[] counter, int depth,
                               Map<String, Integer> opsets) {
        if (depth > MAX_DEPTH) {
            throw new ModelFormatException("function " + f.name() + " nests deeper than " + MAX_DEPTH
                    + " levels (recursive?)").atNode(call.describe());
        }
        if (call.inputs().size() > f.inputs().size() || call.outputs().size() > f.outputs().size()) {
            throw new ModelFormatException("function " + f.name() + " takes " + f.inputs().size() + " inputs and "
                    + f.outputs().size() + " outputs; the call has " + call.inputs().size() + " and "
                    + call.outputs().size()).atNode(call.describe());
        }
        f.opsets().forEach(opsets::putIfAbsent);
        String prefix = "__" + f.name() + "_" + (counter[0]++) + "/";
        Map<String, String> rename = new HashMap<>();
        for (int i = 0; i < f.inputs().size(); i++) {
            // Trailing inputs the call leaves out are absent optional inputs.
            rename.put(f.inputs().get(i), i < call.inputs().size() ? call.input(i) : "");
        }
        for (int i = 0; i < f.outputs().size(); i++) {
            String actual = i < call.outputs().size() ? call.outputs().get(i) : "";
            rename.put(f.outputs().get(i), actual.isEmpty() ? prefix + f.outputs().get(i) : actual);
        }
        for (Node body : f.nodes()) {
            Node n = substitute(body, prefix + body.name(), name -> rename.getOrDefault(name, prefix + name), call, f);
            Function inner = functions.get(Function.key(n.domain(), n.opType()));
            if (inner != null && !hasKernel.test(n.domain(), n.opType())) {
                expand(n, inner, functions, hasKernel, out, counter, depth + 1, opsets);
            } else {
                out.add(n);
            }
        }
    }

    /**
     * A body node with its values renamed and its attribute references resolved; graph
     * attributes get the same treatment for the values they read from the function's scope.
     */
    private static Node substitute(Node body, String name, UnaryOperator<String> rename, Node call, Function f) {
        List<String> ins = new ArrayList<>();
        for (String in : body.inputs()) {
            ins.add(in.isEmpty() ? "" : rename.apply(in));
        }
        List<String> outs = new ArrayList<>();
        for (String o : body.outputs()) {
            outs.add(o.isEmpty() ? "" : rename.apply(o));
        }
        List<Attribute> attrs = new ArrayList<>();
        for (Attribute a : body.attributes().values()) {
            Attribute r = resolve(a, call, f);
            if (r != null) {
                attrs.add(substituteGraphs(r, rename, call, f));
            }
        }
        return new Node(name, body.opType(), body.domain(), ins, outs, attrs);
    }

    /** The attribute, or the caller's value (else the default) for a reference; {@code null} when neither. */
    private static Attribute resolve(Attribute a, Node call, Function f) {
        if (!(a instanceof Attribute.RefAttr ref)) {
            return a;
        }
        Attribute given = call.attribute(ref.refName());
        if (given == null) {
            given = f.attributeDefaults().get(ref.refName());
        }
        return given == null ? null : renamed(given, ref.name());
    }

    private static Attribute substituteGraphs(Attribute a, UnaryOperator<String> rename, Node call, Function f) {
        return switch (a) {
            case Attribute.GraphAttr g -> new Attribute.GraphAttr(a.name(), substitute(g.value(), rename, call, f));
            case Attribute.GraphsAttr gs -> new Attribute.GraphsAttr(a.name(),
                    gs.values().stream().map(g -> substitute(g, rename, call, f)).toList());
            default -> a;
        };
    }

    /**
     * A subgraph of a body node: names it defines stay, names it reads from the function's scope
     * are renamed, and attribute references inside it are resolved against the call.
     */
    private static Graph substitute(Graph g, UnaryOperator<String> outer, Node call, Function f) {
        Set<String> local = new HashSet<>(g.initializers().keySet());
        g.inputs().forEach(v -> local.add(v.name()));
        g.nodes().forEach(n -> local.addAll(n.outputs()));
        UnaryOperator<String> rename = name -> local.contains(name) ? name : outer.apply(name);
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            nodes.add(substitute(n, n.name(), rename, call, f));
        }
        List<ValueInfo> outputs = new ArrayList<>();
        for (ValueInfo o : g.outputs()) {
            outputs.add(new ValueInfo(rename.apply(o.name()), o.type()));
        }
        return g.toBuilder().nodes(nodes).outputs(outputs).build();
    }

    private static Attribute renamed(Attribute a, String name) {
        return switch (a) {
            case Attribute.FloatAttr x -> new Attribute.FloatAttr(name, x.value());
            case Attribute.IntAttr x -> new Attribute.IntAttr(name, x.value());
            case Attribute.StringAttr x -> new Attribute.StringAttr(name, x.value());
            case Attribute.TensorAttr x -> new Attribute.TensorAttr(name, x.value());
            case Attribute.GraphAttr x -> new Attribute.GraphAttr(name, x.value());
            case Attribute.TypeAttr x -> new Attribute.TypeAttr(name, x.value());
            case Attribute.FloatsAttr x -> new Attribute.FloatsAttr(name, x.values());
            case Attribute.IntsAttr x -> new Attribute.IntsAttr(name, x.values());
            case Attribute.StringsAttr x -> new Attribute.StringsAttr(name, x.values());
            case Attribute.TensorsAttr x -> new Attribute.TensorsAttr(name, x.values());
            case Attribute.GraphsAttr x -> new Attribute.GraphsAttr(name, x.values());
            case Attribute.TypesAttr x -> new Attribute.TypesAttr(name, x.values());
            case Attribute.RefAttr x -> new Attribute.RefAttr(name, x.refName());
        };
    }
}

package dev.kiln.compile;

import dev.kiln.ModelFormatException;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Function;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * Replaces calls of model-local functions by their bodies: formal inputs and outputs become the
 * call's values, inner values get a unique prefix, and attribute references take the caller's
 * attribute or the function's default.
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
        boolean changed = false;
        for (Node n : g.nodes()) {
            Function f = g.functions().get(Function.key(n.domain(), n.opType()));
            if (f != null && !hasKernel.test(n.domain(), n.opType())) {
                expand(n, f, g.functions(), hasKernel, out, counter, 0);
                changed = true;
            } else {
                out.add(n);
            }
        }
        return changed ? g.toBuilder().nodes(out).build() : g;
    }

    private static void expand(Node call, Function f, Map<String, Function> functions,
                               BiPredicate<String, String> hasKernel, List<Node> out, int[] counter, int depth) {
        if (depth > MAX_DEPTH) {
            throw new ModelFormatException("function " + f.name() + " nests deeper than " + MAX_DEPTH
                    + " levels (recursive?)").atNode(call.describe());
        }
        String prefix = "__" + f.name() + "_" + (counter[0]++) + "/";
        Map<String, String> rename = new HashMap<>();
        for (int i = 0; i < f.inputs().size(); i++) {
            rename.put(f.inputs().get(i), call.input(i));
        }
        for (int i = 0; i < f.outputs().size(); i++) {
            String actual = i < call.outputs().size() ? call.outputs().get(i) : "";
            rename.put(f.outputs().get(i), actual.isEmpty() ? prefix + f.outputs().get(i) : actual);
        }
        for (Node body : f.nodes()) {
            List<String> ins = new ArrayList<>();
            for (String in : body.inputs()) {
                ins.add(in.isEmpty() ? "" : rename.getOrDefault(in, prefix + in));
            }
            List<String> outs = new ArrayList<>();
            for (String o : body.outputs()) {
                outs.add(o.isEmpty() ? "" : rename.getOrDefault(o, prefix + o));
            }
            List<Attribute> attrs = new ArrayList<>();
            for (Attribute a : body.attributes().values()) {
                if (a instanceof Attribute.RefAttr ref) {
                    Attribute given = call.attribute(ref.refName());
                    if (given == null) {
                        given = f.attributeDefaults().get(ref.refName());
                    }
                    if (given != null) {
                        attrs.add(renamed(given, ref.name()));
                    }
                } else {
                    attrs.add(a);
                }
            }
            Node n = new Node(prefix + body.name(), body.opType(), body.domain(), ins, outs, attrs);
            Function inner = functions.get(Function.key(n.domain(), n.opType()));
            if (inner != null && !hasKernel.test(n.domain(), n.opType())) {
                expand(n, inner, functions, hasKernel, out, counter, depth + 1);
            } else {
                out.add(n);
            }
        }
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

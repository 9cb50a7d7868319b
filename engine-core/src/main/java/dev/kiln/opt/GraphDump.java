package dev.kiln.opt;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Writes a graph with its value types as readable text or as Graphviz DOT. */
public final class GraphDump {
    private GraphDump() {
    }

    /** One line per node, with the types of its outputs; subgraphs indented below their node. */
    public static String text(Graph g, Map<String, ValueType> types) {
        StringBuilder sb = new StringBuilder();
        text(g, types, "", sb);
        return sb.toString();
    }

    private static void text(Graph g, Map<String, ValueType> types, String indent, StringBuilder sb) {
        long params = 0;
        for (Tensor t : g.initializers().values()) {
            params += t.size();
        }
        sb.append(indent).append("graph '").append(g.name()).append("': ").append(g.nodes().size()).append(" nodes, ")
                .append(g.initializers().size()).append(" initializers (").append(params).append(" elements)\n");
        for (ValueInfo in : g.inputs()) {
            if (!g.initializers().containsKey(in.name())) {
                sb.append(indent).append("  input  ").append(in.name()).append(": ").append(typeOf(in.name(), in.type(), types))
                        .append('\n');
            }
        }
        for (Node n : g.nodes()) {
            sb.append(indent).append("  ").append(op(n)).append(' ').append(n.name().isEmpty() ? "<unnamed>" : n.name())
                    .append(" (").append(String.join(", ", n.inputs())).append(") -> ");
            for (int i = 0; i < n.outputs().size(); i++) {
                String o = n.outputs().get(i);
                sb.append(i == 0 ? "" : ", ").append(o);
                if (!o.isEmpty() && types.get(o) != null) {
                    sb.append(": ").append(types.get(o));
                }
            }
            String attrs = attributes(n);
            if (!attrs.isEmpty()) {
                sb.append("  {").append(attrs).append('}');
            }
            sb.append('\n');
            for (Graph sub : Graph.subgraphs(n)) {
                text(sub, types, indent + "    ", sb);
            }
        }
        for (ValueInfo o : g.outputs()) {
            sb.append(indent).append("  output ").append(o.name()).append(": ").append(typeOf(o.name(), o.type(), types))
                    .append('\n');
        }
    }

    private static String typeOf(String name, ValueType declared, Map<String, ValueType> types) {
        ValueType t = types.get(name);
        return String.valueOf(t != null ? t : declared != null ? declared : "?");
    }

    /** The graph as a Graphviz digraph: nodes as boxes (Kiln's fused operators filled), values as labelled edges. */
    public static String dot(Graph g, Map<String, ValueType> types) {
        StringBuilder sb = new StringBuilder();
        sb.append("digraph ").append(quote(g.name().isEmpty() ? "graph" : g.name())).append(" {\n");
        sb.append("  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];\n");
        sb.append("  edge [fontname=\"Helvetica\", fontsize=8];\n");
        Map<String, String> source = new HashMap<>();
        for (ValueInfo in : g.inputs()) {
            if (!g.initializers().containsKey(in.name())) {
                String id = "in" + source.size();
                source.put(in.name(), id);
                sb.append("  ").append(id).append(" [shape=ellipse, label=").append(quote(in.name())).append("];\n");
            }
        }
        for (int i = 0; i < g.nodes().size(); i++) {
            Node n = g.nodes().get(i);
            String id = "n" + i;
            StringBuilder label = new StringBuilder(op(n));
            if (!n.name().isEmpty()) {
                label.append('\n').append(n.name());
            }
            for (String in : n.inputs()) {
                Tensor t = g.initializers().get(in);
                if (t != null) {
                    label.append('\n').append(in).append(": ").append(t.type());
                }
            }
            sb.append("  ").append(id).append(" [label=").append(quote(label.toString()));
            if (n.domain().equals(OptGraph.KILN_DOMAIN)) {
                sb.append(", style=\"rounded,filled\", fillcolor=\"#fde8c8\"");
            }
            sb.append("];\n");
            for (String in : OptGraph.reads(n)) {
                String from = source.get(in);
                if (from != null) {
                    sb.append("  ").append(from).append(" -> ").append(id).append(" [label=")
                            .append(quote(types.get(in) == null ? "" : types.get(in).toString())).append("];\n");
                }
            }
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    source.put(o, id);
                }
            }
        }
        for (int i = 0; i < g.outputs().size(); i++) {
            ValueInfo o = g.outputs().get(i);
            String id = "out" + i;
            sb.append("  ").append(id).append(" [shape=ellipse, label=").append(quote(o.name())).append("];\n");
            String from = source.get(o.name());
            if (from != null) {
                sb.append("  ").append(from).append(" -> ").append(id).append(" [label=")
                        .append(quote(types.get(o.name()) == null ? "" : types.get(o.name()).toString())).append("];\n");
            }
        }
        sb.append("}\n");
        return sb.toString();
    }

    /** Operator counts, e.g. {@code kiln.FusedConv=53}. */
    public static Map<String, Integer> opCounts(Graph g) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Node n : g.nodes()) {
            counts.merge(op(n), 1, Integer::sum);
        }
        return counts;
    }

    private static String op(Node n) {
        return n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType();
    }

    private static String attributes(Node n) {
        StringBuilder sb = new StringBuilder();
        for (Attribute a : n.attributes().values()) {
            String v = switch (a) {
                case Attribute.IntAttr i -> Long.toString(i.value());
                case Attribute.FloatAttr f -> String.format(Locale.ROOT, "%g", f.value());
                case Attribute.StringAttr s -> '"' + s.value() + '"';
                case Attribute.IntsAttr i -> Arrays.toString(i.values());
                case Attribute.FloatsAttr f -> Arrays.toString(f.values());
                case Attribute.StringsAttr s -> s.values().toString();
                case Attribute.TensorAttr t -> t.value().size() <= 8 ? t.value().toString() + valuesOf(t.value()) : t.value().toString();
                case Attribute.GraphAttr g -> "graph(" + g.value().nodes().size() + " nodes)";
                case Attribute.GraphsAttr g -> g.values().size() + " graphs";
                case Attribute.TypeAttr t -> String.valueOf(t.value());
                case Attribute.TensorsAttr t -> t.values().size() + " tensors";
                case Attribute.TypesAttr t -> t.values().toString();
                case Attribute.RefAttr r -> "@" + r.refName();
            };
            sb.append(sb.isEmpty() ? "" : ", ").append(a.name()).append('=').append(v);
        }
        return sb.toString();
    }

    private static String valuesOf(Tensor t) {
        try {
            if (t.dtype().isFloat()) {
                return Arrays.toString(t.toDoubleArray());
            }
            if (t.dtype().isInteger()) {
                return Arrays.toString(t.toLongArray());
            }
        } catch (RuntimeException e) {
            // Some element types have no array view; the type alone is shown.
        }
        return "";
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
}

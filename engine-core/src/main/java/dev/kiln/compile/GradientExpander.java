package dev.kiln.compile;

import dev.kiln.ModelFormatException;
import dev.kiln.UnsupportedOperatorException;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces each {@code ai.onnx.preview.training.Gradient} node by reverse-mode differentiation
 * in plain nodes: the part of the graph between the node's {@code xs}/{@code zs} and {@code y}
 * is copied with the Gradient's inputs in place of {@code xs} and {@code zs}, and the
 * derivative of each copied node is added behind it, last node first.
 *
 * <p>Elementwise operators are differentiated (Add, Sub, Mul, Div, Sum, Neg, Identity, Abs,
 * Relu, Sigmoid, Tanh, Exp, Log, Sqrt), broadcasting included: a gradient flowing to a
 * broadcast input is summed back to that input's shape by the internal {@code kiln.SumToShape}
 * operator; {@code kiln.FillLike} makes the seed (ones) and the gradient of an {@code xs} entry
 * {@code y} does not depend on (zeros).
 */
final class GradientExpander {
    /** The domain of the Gradient operator. */
    static final String TRAINING = "ai.onnx.preview.training";
    /** Kiln's internal operators' domain. */
    static final String KILN = "kiln";

    private final List<Node> out = new ArrayList<>();
    private final String prefix;
    private int counter;
    private int nodes;

    private GradientExpander(String prefix) {
        this.prefix = prefix;
    }

    /** True for nodes this pass replaces. */
    static boolean isGradient(Node n) {
        return n.domain().equals(TRAINING) && n.opType().equals("Gradient");
    }

    static Graph expand(Graph g) {
        boolean any = false;
        for (Node n : g.nodes()) {
            any |= isGradient(n);
        }
        if (!any) {
            return g;
        }
        Map<String, Node> producers = new HashMap<>();
        for (Node n : g.nodes()) {
            if (!isGradient(n)) {
                for (String o : n.outputs()) {
                    if (!o.isEmpty()) {
                        producers.put(o, n);
                    }
                }
            }
        }
        List<Node> nodes = new ArrayList<>();
        int k = 0;
        for (Node n : g.nodes()) {
            if (isGradient(n)) {
                GradientExpander e = new GradientExpander("__gradient" + (k++) + "/");
                e.differentiate(n, producers);
                nodes.addAll(e.out);
            } else {
                nodes.add(n);
            }
        }
        return g.toBuilder().nodes(nodes).build();
    }

    private void differentiate(Node grad, Map<String, Node> producers) {
        List<String> xs = grad.attrStrings("xs");
        List<String> zs = grad.attrStrings("zs") == null ? List.of() : grad.attrStrings("zs");
        String y = grad.attrString("y", null);
        if (xs == null || y == null) {
            throw new ModelFormatException("Gradient needs the attributes xs and y").atNode(grad.describe());
        }
        if (grad.inputs().size() != xs.size() + zs.size()) {
            throw new ModelFormatException("Gradient takes one input per name in xs and zs: " + (xs.size() + zs.size())
                    + ", got " + grad.inputs().size()).atNode(grad.describe());
        }
        // The independent variables take the values given to the Gradient node.
        Map<String, String> rename = new HashMap<>();
        for (int i = 0; i < xs.size(); i++) {
            rename.put(xs.get(i), grad.input(i));
        }
        for (int i = 0; i < zs.size(); i++) {
            rename.put(zs.get(i), grad.input(xs.size() + i));
        }
        List<Node> cone = new ArrayList<>();
        collect(y, producers, rename.keySet(), new HashSet<>(), cone);
        for (Node n : cone) {
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    rename.put(o, prefix + o);
                }
            }
        }
        for (Node n : cone) {
            out.add(new Node(prefix + n.name(), n.opType(), n.domain(), renamed(n.inputs(), rename),
                    renamed(n.outputs(), rename), List.copyOf(n.attributes().values())));
        }
        // Values whose gradient matters: the xs and everything computed from them.
        Set<String> differentiable = new HashSet<>(xs);
        for (Node n : cone) {
            for (String in : n.inputs()) {
                if (differentiable.contains(in)) {
                    differentiable.addAll(n.outputs());
                    break;
                }
            }
        }
        Map<String, List<String>> contributions = new LinkedHashMap<>();
        String seed = fresh("seed");
        emit("FillLike", KILN, List.of(rename.getOrDefault(y, y)), seed, new Attribute.FloatAttr("value", 1f));
        contributions.computeIfAbsent(y, v -> new ArrayList<>()).add(seed);
        for (int i = cone.size() - 1; i >= 0; i--) {
            Node n = cone.get(i);
            List<String> gy = contributions.get(n.outputs().get(0));
            if (gy == null || !differentiable.contains(n.outputs().get(0))) {
                continue;
            }
            backward(n, total(gy), rename, differentiable, contributions);
        }
        for (int i = 0; i < xs.size() && i < grad.outputs().size(); i++) {
            String target = grad.outputs().get(i);
            if (target.isEmpty()) {
                continue;
            }
            List<String> g = contributions.get(xs.get(i));
            if (g == null) {
                emit("FillLike", KILN, List.of(grad.input(i)), target, new Attribute.FloatAttr("value", 0f));
            } else {
                emit("Identity", "", List.of(total(g)), target);
            }
        }
    }

    /** Adds, in dependency order, the nodes needed to compute {@code v} from the independent variables. */
    private static void collect(String v, Map<String, Node> producers, Set<String> independent, Set<Node> seen,
                                List<Node> cone) {
        Node p = producers.get(v);
        if (p == null || independent.contains(v) || !seen.add(p)) {
            return;
        }
        if (!Graph.subgraphs(p).isEmpty()) {
            throw new UnsupportedOperatorException(List.of("Gradient through " + p.opType() + " (node "
                    + p.describe() + ")"));
        }
        for (String in : p.inputs()) {
            if (!in.isEmpty()) {
                collect(in, producers, independent, seen, cone);
            }
        }
        cone.add(p);
    }

    /** Adds the contributions node {@code n} makes to the gradients of its differentiable inputs. */
    private void backward(Node n, String gy, Map<String, String> rename, Set<String> differentiable,
                          Map<String, List<String>> contributions) {
        String a = n.inputs().isEmpty() ? "" : n.input(0);
        String b = n.inputs().size() > 1 ? n.input(1) : "";
        String ra = rename.getOrDefault(a, a);
        String rb = rename.getOrDefault(b, b);
        String ry = rename.get(n.outputs().get(0));
        switch (n.opType()) {
            case "Add" -> {
                give(a, toShape(gy, ra), differentiable, contributions);
                give(b, toShape(gy, rb), differentiable, contributions);
            }
            case "Sum" -> {
                for (String in : n.inputs()) {
                    give(in, toShape(gy, rename.getOrDefault(in, in)), differentiable, contributions);
                }
            }
            case "Sub" -> {
                give(a, toShape(gy, ra), differentiable, contributions);
                if (differentiable.contains(b)) {
                    give(b, toShape(op("Neg", gy), rb), differentiable, contributions);
                }
            }
            case "Mul" -> {
                if (differentiable.contains(a)) {
                    give(a, toShape(op("Mul", gy, rb), ra), differentiable, contributions);
                }
                if (differentiable.contains(b)) {
                    give(b, toShape(op("Mul", gy, ra), rb), differentiable, contributions);
                }
            }
            case "Div" -> {
                if (differentiable.contains(a)) {
                    give(a, toShape(op("Div", gy, rb), ra), differentiable, contributions);
                }
                if (differentiable.contains(b)) {
                    // d(a / b) / db = -(a / b) / b
                    give(b, toShape(op("Neg", op("Div", op("Mul", gy, ry), rb)), rb), differentiable, contributions);
                }
            }
            case "Neg" -> give(a, op("Neg", gy), differentiable, contributions);
            case "Identity" -> give(a, gy, differentiable, contributions);
            case "Abs" -> give(a, op("Mul", gy, op("Sign", ra)), differentiable, contributions);
            // The derivative of Relu is 1 where the input is positive: the sign of the output.
            case "Relu" -> give(a, op("Mul", gy, op("Sign", ry)), differentiable, contributions);
            // sigmoid' = y - y^2; tanh' = 1 - y^2; exp' = y; log' = 1 / a; sqrt' = 1 / (2y)
            case "Sigmoid" -> give(a, op("Mul", gy, op("Sub", ry, op("Mul", ry, ry))), differentiable, contributions);
            case "Tanh" -> give(a, op("Sub", gy, op("Mul", gy, op("Mul", ry, ry))), differentiable, contributions);
            case "Exp" -> give(a, op("Mul", gy, ry), differentiable, contributions);
            case "Log" -> give(a, op("Div", gy, ra), differentiable, contributions);
            case "Sqrt" -> give(a, op("Div", gy, op("Add", ry, ry)), differentiable, contributions);
            default -> throw new UnsupportedOperatorException(List.of("Gradient through " + n.opType() + " (node "
                    + n.describe() + ")"));
        }
    }

    private static void give(String value, String gradient, Set<String> differentiable,
                             Map<String, List<String>> contributions) {
        if (!value.isEmpty() && differentiable.contains(value)) {
            contributions.computeIfAbsent(value, v -> new ArrayList<>()).add(gradient);
        }
    }

    /** The sum of a value's gradient contributions. */
    private String total(List<String> parts) {
        String sum = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            sum = op("Add", sum, parts.get(i));
        }
        return sum;
    }

    private String toShape(String gradient, String like) {
        String r = fresh("SumToShape");
        emit("SumToShape", KILN, List.of(gradient, like), r);
        return r;
    }

    private String op(String opType, String... inputs) {
        String r = fresh(opType);
        emit(opType, "", List.of(inputs), r);
        return r;
    }

    private void emit(String opType, String domain, List<String> inputs, String output, Attribute... attrs) {
        out.add(new Node(prefix + "n" + (nodes++), opType, domain, inputs, List.of(output), List.of(attrs)));
    }

    private String fresh(String what) {
        return prefix + "d" + (++counter) + "_" + what;
    }

    private static List<String> renamed(List<String> names, Map<String, String> rename) {
        List<String> r = new ArrayList<>(names.size());
        for (String n : names) {
            r.add(n.isEmpty() ? n : rename.getOrDefault(n, n));
        }
        return r;
    }
}

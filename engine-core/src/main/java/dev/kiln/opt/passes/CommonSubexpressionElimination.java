package dev.kiln.opt.passes;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Pass;
import dev.kiln.opt.Patch;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges nodes that compute the same thing: same operator, same inputs (after earlier merges),
 * equal attributes. The later node's readers move to the earlier node's outputs. Exporters
 * repeat {@code Shape(x)} and equal {@code Constant}s often.
 */
public final class CommonSubexpressionElimination implements Pass {
    /** Operators whose equal-looking nodes give different values. */
    private static final Set<String> NONDETERMINISTIC = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli");

    @Override
    public String name() {
        return "cse";
    }

    @Override
    public boolean run(OptGraph g) {
        Map<String, String> alias = new HashMap<>();
        Map<String, List<Node>> seen = new HashMap<>();
        Patch.Builder p = Patch.builder();
        int merged = 0;
        for (Node n : g.nodes()) {
            if (!candidate(n, g)) {
                continue;
            }
            List<String> ins = new ArrayList<>();
            for (String in : n.inputs()) {
                ins.add(alias.getOrDefault(in, in));
            }
            String key = n.domain() + "|" + n.opType() + "|" + ins + "|" + n.outputs().size() + "|" + attributeKey(n);
            Node same = null;
            for (Node c : seen.getOrDefault(key, List.of())) {
                if (sameAttributes(c, n)) {
                    same = c;
                    break;
                }
            }
            if (same == null) {
                seen.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
                continue;
            }
            p.remove(n);
            for (int i = 0; i < n.outputs().size(); i++) {
                String o = n.outputs().get(i);
                if (!o.isEmpty()) {
                    String target = alias.getOrDefault(same.outputs().get(i), same.outputs().get(i));
                    alias.put(o, target);
                    p.reroute(o, target);
                }
            }
            merged++;
        }
        if (merged == 0) {
            return false;
        }
        g.apply(p.build(), name(), merged);
        return true;
    }

    private static boolean candidate(Node n, OptGraph g) {
        if (n.outputs().isEmpty() || NONDETERMINISTIC.contains(n.opType()) || !Graph.subgraphs(n).isEmpty()) {
            return false;
        }
        for (String o : n.outputs()) {
            // A graph output must keep its own producer; merging it would only add a copy.
            if (o.isEmpty() || g.isGraphOutput(o)) {
                return false;
            }
        }
        return true;
    }

    /** A cheap key of the attributes; equal nodes have equal keys, and {@link #sameAttributes} decides. */
    private static String attributeKey(Node n) {
        StringBuilder sb = new StringBuilder();
        for (Attribute a : n.attributes().values()) {
            sb.append(a.name()).append('=');
            switch (a) {
                case Attribute.IntsAttr i -> sb.append(Arrays.toString(i.values()));
                case Attribute.FloatsAttr f -> sb.append(Arrays.toString(f.values()));
                case Attribute.TensorAttr t -> sb.append(t.value().type());
                default -> sb.append(a);
            }
            sb.append(';');
        }
        return sb.toString();
    }

    private static boolean sameAttributes(Node a, Node b) {
        if (!a.attributes().keySet().equals(b.attributes().keySet())) {
            return false;
        }
        for (Attribute x : a.attributes().values()) {
            Attribute y = b.attribute(x.name());
            boolean eq = switch (x) {
                case Attribute.IntsAttr i -> y instanceof Attribute.IntsAttr j && Arrays.equals(i.values(), j.values());
                case Attribute.FloatsAttr f -> y instanceof Attribute.FloatsAttr h && Arrays.equals(f.values(), h.values());
                case Attribute.TensorAttr t -> y instanceof Attribute.TensorAttr u && sameTensor(t.value(), u.value());
                case Attribute.TensorsAttr t -> false;
                default -> x.equals(y);
            };
            if (!eq) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameTensor(Tensor a, Tensor b) {
        if (a.dtype() != b.dtype() || !a.shape().equals(b.shape())) {
            return false;
        }
        if (a.dtype() == dev.kiln.tensor.DType.STRING) {
            return Arrays.equals(a.toStringArray(), b.toStringArray());
        }
        MemorySegment x = a.data();
        MemorySegment y = b.data();
        return x.byteSize() == y.byteSize() && x.mismatch(y) == -1;
    }
}

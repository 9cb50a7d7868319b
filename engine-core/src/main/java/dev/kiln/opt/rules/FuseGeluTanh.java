package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * GELU's tanh approximation, {@code 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))}, matched
 * at its Tanh (the cube as {@code Pow(x, 3)} or {@code x * x * x}) → {@code kiln.Gelu(x,
 * approximate="tanh")}.
 */
public final class FuseGeluTanh implements RewriteRule {
    private static final double C = Math.sqrt(2 / Math.PI);

    @Override
    public String name() {
        return "fuse-gelu-tanh";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Tanh");
    }

    @Override
    public Patch match(Node tanh, OptGraph g) {
        Node scale = Match.soleProducer(g, tanh.input(0), "Mul");
        String r = scale == null ? null : Match.isScalar(g, scale.input(1), C) ? scale.input(0)
                : Match.isScalar(g, scale.input(0), C) ? scale.input(1) : null;
        Node add = r == null ? null : Match.soleProducer(g, r, "Add");
        if (!tanh.domain().isEmpty() || add == null || add.inputs().size() != 2) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            String x = add.input(i);
            Node coef = Match.soleProducer(g, add.input(1 - i), "Mul");
            String cube = coef == null ? null : Match.isScalar(g, coef.input(1), 0.044715) ? coef.input(0)
                    : Match.isScalar(g, coef.input(0), 0.044715) ? coef.input(1) : null;
            List<Node> cubeNodes = cube == null ? null : cubeOf(g, cube, x);
            Node addOne = GeluTail.addOne(g, tanh.outputs().get(0));
            if (cubeNodes == null || addOne == null || !Match.isFloat(g, x)) {
                continue;
            }
            List<Node> head = new ArrayList<>(cubeNodes);
            head.addAll(List.of(coef, add, scale, tanh));
            return GeluTail.fuse(g, x, head, addOne, "tanh");
        }
        return null;
    }

    /** The nodes computing {@code value = x^3}, or {@code null}. */
    private static List<Node> cubeOf(OptGraph g, String value, String x) {
        Node pow = Match.soleProducer(g, value, "Pow");
        if (pow != null) {
            return pow.input(0).equals(x) && Match.isScalar(g, pow.input(1), 3) ? List.of(pow) : null;
        }
        Node outer = Match.soleProducer(g, value, "Mul");
        String sq = outer == null ? null : Match.other(outer, x);
        Node inner = sq == null ? null : Match.soleProducer(g, sq, "Mul");
        return inner != null && inner.input(0).equals(x) && inner.input(1).equals(x) ? List.of(inner, outer) : null;
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Layer normalization as exporters spell it, matched at its Div:
 * <pre>
 *   d = Sub(x, ReduceMean(x, axes))          axes: the trailing axes
 *   y = Div(d, Sqrt(Add(ReduceMean(Pow(d, 2), axes), eps)))
 *   [y = Mul(y, gamma)] [y = Add(y, beta)]   gamma, beta: constants over the normalized axes
 * </pre>
 * → {@code kiln.LayerNormalization(x, gamma, beta, axis, epsilon)}.
 */
public final class FuseLayerNorm implements RewriteRule {
    @Override
    public String name() {
        return "fuse-layer-norm";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Div");
    }

    @Override
    public Patch match(Node div, OptGraph g) {
        String d = div.input(0);
        Node sub = Match.producer(g, d, "Sub");
        Node sqrt = Match.soleProducer(g, div.input(1), "Sqrt");
        if (!div.domain().isEmpty() || sub == null || sqrt == null || g.isGraphOutput(d) || g.consumers(d).size() != 2) {
            return null;
        }
        String x = sub.input(0);
        Node mean = Match.soleProducer(g, sub.input(1), "ReduceMean");
        Node addEps = Match.soleProducer(g, sqrt.input(0), "Add");
        if (mean == null || addEps == null || !mean.input(0).equals(x) || !Match.isFloat(g, x)) {
            return null;
        }
        Node var = null;
        Double eps = null;
        for (int i = 0; i < 2 && var == null; i++) {
            var = Match.soleProducer(g, addEps.input(i), "ReduceMean");
            eps = Match.scalar(g, addEps.input(1 - i));
        }
        if (var == null || eps == null) {
            return null;
        }
        Node square = Match.soleProducer(g, var.input(0), "Pow");
        if (square != null ? !(square.input(0).equals(d) && Match.isScalar(g, square.input(1), 2))
                : (square = Match.soleProducer(g, var.input(0), "Mul")) == null
                        || !square.input(0).equals(d) || !square.input(1).equals(d)) {
            return null;
        }
        SymbolicShape shape = g.shape(x);
        Integer axis = trailingAxis(g, mean, shape);
        if (axis == null || !axis.equals(trailingAxis(g, var, shape)) || mean.attrInt("keepdims", 1) != 1
                || var.attrInt("keepdims", 1) != 1) {
            return null;
        }
        int normRank = -axis;
        List<Node> matched = new ArrayList<>(List.of(mean, sub, square, var, addEps, sqrt, div));
        Patch.Builder p = Patch.builder();
        String out = div.outputs().get(0);
        String scale = null;
        String bias = "";
        Node mul = Match.soleConsumer(g, out, "Mul");
        Tensor gamma = mul == null ? null : normalized(g.constant(Match.other(mul, out)), normRank, shape);
        if (gamma != null) {
            scale = g.freshName(mul.name().isEmpty() ? out + "/gamma" : mul.name() + "/gamma");
            p.initializer(scale, gamma);
            matched.add(mul);
            out = mul.outputs().get(0);
            Node add = Match.soleConsumer(g, out, "Add");
            Tensor beta = add == null ? null : normalized(g.constant(Match.other(add, out)), normRank, shape);
            if (beta != null) {
                bias = g.freshName(add.name().isEmpty() ? out + "/beta" : add.name() + "/beta");
                p.initializer(bias, beta);
                matched.add(add);
                out = add.outputs().get(0);
            }
        }
        if (scale == null) {
            scale = g.freshName(div.name() + "/ones");
            Tensor ones = Tensor.allocate(DType.FLOAT, Shape.of(1));
            ones.setFloat(0, 1f);
            p.initializer(scale, ones);
        }
        List<String> ins = bias.isEmpty() ? List.of(x, scale) : List.of(x, scale, bias);
        Node ln = Match.kiln(div.name(), "LayerNormalization", ins, List.of(out),
                List.of(new Attribute.IntAttr("axis", axis), new Attribute.FloatAttr("epsilon", eps.floatValue())));
        return p.remove(matched).add(ln).build();
    }

    /** The first normalized axis, counted from the end (-1 for the last), when the reduction is over trailing axes. */
    private static Integer trailingAxis(OptGraph g, Node reduce, SymbolicShape shape) {
        long[] axes = Match.axes(g, reduce, 1);
        if (axes == null || axes.length == 0) {
            return null;
        }
        long[] neg = new long[axes.length];
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] >= 0 && shape == null) {
                return null;
            }
            neg[i] = axes[i] >= 0 ? axes[i] - shape.rank() : axes[i];
        }
        Arrays.sort(neg);
        for (int i = 0; i < neg.length; i++) {
            if (neg[i] != -(neg.length - i)) {
                return null;
            }
        }
        return (int) neg[0];
    }

    /**
     * A float constant that varies over the last {@code rank} axes of {@code x} only and does not
     * broadcast them up, as a tensor of at most that rank; else {@code null}.
     */
    private static Tensor normalized(Tensor t, int rank, SymbolicShape x) {
        if (t == null || t.dtype() != DType.FLOAT || x == null || x.rank() < rank) {
            return null;
        }
        int extra = t.rank() - rank;
        for (int i = 0; i < t.rank(); i++) {
            long d = t.shape().dim(i);
            int xi = x.rank() - t.rank() + i;
            boolean fits = d == 1 || (i >= extra && x.dim(xi).isKnown() && x.dim(xi).value() == d);
            if (!fits) {
                return null;
            }
        }
        return extra <= 0 ? t : t.reshape(Shape.of(Arrays.copyOfRange(t.shape().dims(), extra, t.rank())));
    }
}

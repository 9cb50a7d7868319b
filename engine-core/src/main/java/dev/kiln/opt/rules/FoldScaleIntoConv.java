package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Set;

/**
 * {@code Mul(Conv(x, W, B), s)} with a constant {@code s} per output channel ({@code [M, 1, 1]} or
 * {@code [1, M, 1, 1]}) → {@code Conv(x, W', B')} with {@code W'[m] = W[m] s[m]} and
 * {@code B'[m] = B[m] s[m]}: the scale Caffe2 exports write after a BatchNormalization.
 */
public final class FoldScaleIntoConv implements RewriteRule {
    @Override
    public String name() {
        return "fold-scale-into-conv";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Mul");
    }

    @Override
    public Patch match(Node mul, OptGraph g) {
        if (!mul.domain().isEmpty() || mul.inputs().size() != 2) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            Node conv = g.singleUse(mul.input(i)) ? g.producer(mul.input(i)) : null;
            Tensor s = g.constant(mul.input(1 - i));
            SymbolicShape out = g.shape(mul.input(i));
            if (conv == null || !conv.domain().isEmpty() || !conv.opType().equals("Conv") || s == null
                    || s.dtype() != DType.FLOAT || out == null || !FuseConvBias.perChannel(s.shape(), out)) {
                continue;
            }
            Tensor w = g.constant(conv.input(1));
            Tensor b = conv.hasInput(2) ? g.constant(conv.input(2)) : null;
            if (w == null || w.dtype() != DType.FLOAT || w.shape().dim(0) != s.size() || (conv.hasInput(2) && b == null)) {
                continue;
            }
            long m = s.size();
            long per = w.size() / m;
            Tensor w2 = Tensor.allocate(DType.FLOAT, w.shape());
            for (long oc = 0; oc < m; oc++) {
                double f = s.getDouble(oc);
                for (long k = oc * per; k < (oc + 1) * per; k++) {
                    w2.setFloat(k, (float) (w.getFloat(k) * f));
                }
            }
            String wName = g.freshName(conv.input(1) + "/scaled");
            Patch.Builder p = Patch.builder().remove(conv, mul).initializer(wName, w2);
            String bName = "";
            if (b != null) {
                Tensor b2 = Tensor.allocate(DType.FLOAT, Shape.of(m));
                for (long oc = 0; oc < m; oc++) {
                    b2.setFloat(oc, (float) (b.getDouble(oc) * s.getDouble(oc)));
                }
                bName = g.freshName(conv.input(2) + "/scaled");
                p.initializer(bName, b2);
            }
            List<String> ins = bName.isEmpty() ? List.of(conv.input(0), wName) : List.of(conv.input(0), wName, bName);
            return p.add(conv.withIo(ins, mul.outputs())).build();
        }
        return null;
    }
}

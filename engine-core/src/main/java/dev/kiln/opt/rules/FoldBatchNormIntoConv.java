package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code BatchNormalization(Conv(x, W, B))} at inference → {@code Conv(x, W', B')} with
 * {@code a = scale / sqrt(var + eps)}, {@code W'[m] = W[m] a[m]} and
 * {@code B'[m] = (B[m] - mean[m]) a[m] + bias[m]} (computed in double, stored as float).
 */
public final class FoldBatchNormIntoConv implements RewriteRule {
    @Override
    public String name() {
        return "fold-batchnorm-into-conv";
    }

    @Override
    public Set<String> roots() {
        return Set.of("BatchNormalization");
    }

    @Override
    public Patch match(Node bn, OptGraph g) {
        Node conv = Match.soleProducer(g, bn.input(0), "Conv");
        if (!bn.domain().isEmpty() || conv == null || bn.attrInt("training_mode", 0) != 0 || bn.attrInt("spatial", 1) != 1
                || !Match.isFloat(g, bn.input(0))) {
            return null;
        }
        for (int i = 1; i < bn.outputs().size(); i++) {
            String o = bn.outputs().get(i);
            if (!o.isEmpty() && (!g.consumers(o).isEmpty() || g.isGraphOutput(o))) {
                return null;
            }
        }
        Tensor w = g.constant(conv.input(1));
        Tensor b = conv.hasInput(2) ? g.constant(conv.input(2)) : null;
        if (w == null || w.dtype() != DType.FLOAT || w.rank() < 3 || (conv.hasInput(2) && b == null)) {
            return null;
        }
        long m = w.shape().dim(0);
        Tensor[] stats = new Tensor[4];
        for (int i = 0; i < 4; i++) {
            stats[i] = g.constant(bn.input(i + 1));
            if (stats[i] == null || stats[i].size() != m || !stats[i].dtype().isFloat()) {
                return null;
            }
        }
        double eps = bn.attrFloat("epsilon", 1e-5f);
        long per = w.size() / m;
        Tensor w2 = Tensor.allocate(DType.FLOAT, w.shape());
        Tensor b2 = Tensor.allocate(DType.FLOAT, Shape.of(m));
        for (long oc = 0; oc < m; oc++) {
            double a = stats[0].getDouble(oc) / Math.sqrt(stats[3].getDouble(oc) + eps);
            for (long i = oc * per; i < (oc + 1) * per; i++) {
                w2.setFloat(i, (float) (w.getFloat(i) * a));
            }
            double bias = b == null ? 0 : b.getDouble(oc);
            b2.setFloat(oc, (float) ((bias - stats[2].getDouble(oc)) * a + stats[1].getDouble(oc)));
        }
        String wName = g.freshName(conv.input(1) + "/bn");
        String bName = g.freshName((conv.hasInput(2) ? conv.input(2) : conv.input(1)) + "/bn_bias");
        List<String> ins = new ArrayList<>(List.of(conv.input(0), wName, bName));
        Node folded = conv.withIo(ins, List.of(bn.outputs().get(0)));
        return Patch.builder().remove(conv, bn).add(folded).initializer(wName, w2).initializer(bName, b2).build();
    }
}

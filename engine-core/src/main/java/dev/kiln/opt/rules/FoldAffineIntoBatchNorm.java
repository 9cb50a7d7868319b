package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A per-channel constant {@code Mul} or {@code Add} after an inference BatchNormalization → the
 * BatchNormalization with scale and bias {@code scale * s, bias * s} or bias {@code bias + c}.
 */
public final class FoldAffineIntoBatchNorm implements RewriteRule {
    @Override
    public String name() {
        return "fold-affine-into-batchnorm";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Mul", "Add");
    }

    @Override
    public Patch match(Node op, OptGraph g) {
        if (!op.domain().isEmpty() || op.inputs().size() != 2) {
            return null;
        }
        boolean mul = op.opType().equals("Mul");
        for (int i = 0; i < 2; i++) {
            Node bn = g.singleUse(op.input(i)) ? g.producer(op.input(i)) : null;
            Tensor c = g.constant(op.input(1 - i));
            SymbolicShape out = g.shape(op.input(i));
            if (bn == null || !bn.domain().isEmpty() || !bn.opType().equals("BatchNormalization") || c == null
                    || c.dtype() != DType.FLOAT || out == null || !FuseConvBias.perChannel(c.shape(), out)
                    || bn.attrInt("training_mode", 0) != 0 || bn.outputs().size() != 1) {
                continue;
            }
            Tensor scale = g.constant(bn.input(1));
            Tensor bias = g.constant(bn.input(2));
            long m = c.size();
            if (scale == null || bias == null || scale.size() != m || bias.size() != m || !scale.dtype().isFloat()
                    || !bias.dtype().isFloat()) {
                continue;
            }
            List<String> ins = new ArrayList<>(bn.inputs());
            Patch.Builder p = Patch.builder().remove(bn, op);
            if (mul) {
                ins.set(1, newParameter(g, p, bn.input(1), scale, c, true));
            }
            ins.set(2, newParameter(g, p, bn.input(2), bias, c, mul));
            return p.add(bn.withIo(ins, op.outputs())).build();
        }
        return null;
    }

    private static String newParameter(OptGraph g, Patch.Builder p, String base, Tensor t, Tensor c, boolean multiply) {
        Tensor r = Tensor.allocate(t.dtype(), Shape.of(t.size()));
        for (long k = 0; k < t.size(); k++) {
            r.setDouble(k, multiply ? t.getDouble(k) * c.getDouble(k) : t.getDouble(k) + c.getDouble(k));
        }
        String name = g.freshName(base + (multiply ? "/scaled" : "/shifted"));
        p.initializer(name, r);
        return name;
    }
}

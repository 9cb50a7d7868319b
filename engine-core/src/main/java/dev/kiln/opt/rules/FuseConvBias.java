package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.Set;

/**
 * {@code Add(Conv(x, W, B), c)} with a constant {@code c} that only varies along the channel axis
 * ({@code [M, 1, 1]} or {@code [1, M, 1, 1]}) → the Conv with bias {@code B + c}.
 */
public final class FuseConvBias implements RewriteRule {
    @Override
    public String name() {
        return "fuse-conv-bias";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Add");
    }

    @Override
    public Patch match(Node add, OptGraph g) {
        if (!add.domain().isEmpty() || add.inputs().size() != 2) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            Node conv = g.singleUse(add.input(i)) ? g.producer(add.input(i)) : null;
            Tensor c = g.constant(add.input(1 - i));
            SymbolicShape out = g.shape(add.input(i));
            if (!Fused.plainConv(conv, g) || c == null || c.dtype() != DType.FLOAT || out == null
                    || !perChannel(c.shape(), out)) {
                continue;
            }
            Tensor b = conv.hasInput(2) ? g.constant(conv.input(2)) : null;
            if (conv.hasInput(2) && b == null) {
                continue;
            }
            long m = c.size();
            Tensor bias = Tensor.allocate(DType.FLOAT, Shape.of(m));
            for (long k = 0; k < m; k++) {
                bias.setFloat(k, (float) ((b == null ? 0 : b.getDouble(k)) + c.getDouble(k)));
            }
            String name = g.freshName(add.input(1 - i) + "/conv_bias");
            Node fused = conv.domain().isEmpty()
                    ? conv.withIo(java.util.List.of(conv.input(0), conv.input(1), name), add.outputs())
                    : Fused.conv(conv, name, "", add.outputs());
            return Patch.builder().remove(conv, add).add(fused).initializer(name, bias).build();
        }
        return null;
    }

    /** True when {@code c}, aligned right against {@code out}, has its only non-1 dim on the channel axis 1. */
    static boolean perChannel(Shape c, SymbolicShape out) {
        int off = out.rank() - c.rank();
        if (off < 0 || out.rank() < 3 || !out.dim(1).isKnown() || c.size() != out.dim(1).value()) {
            return false;
        }
        for (int i = 0; i < c.rank(); i++) {
            if (i + off != 1 && c.dim(i) != 1) {
                return false;
            }
        }
        return off <= 1;
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.SymbolicShape;
import java.util.List;
import java.util.Set;

/**
 * The fused linear layer: {@code Add(MatMul(a, w), bias)} with a bias along the last axis only
 * ({@code [N]}, or {@code [1, ..., N]}) → {@code kiln.FusedMatMul(a, w, bias)}.
 */
public final class FuseLinear implements RewriteRule {
    @Override
    public String name() {
        return "fuse-linear";
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
            Node mm = Match.soleProducer(g, add.input(i), "MatMul");
            String bias = add.input(1 - i);
            if (mm != null && Match.isFloat(g, add.input(i), bias) && matrices(g, mm)
                    && alongLastAxis(g.shape(bias), g.shape(add.input(i)))) {
                return Patch.replace(Match.kiln(mm.name(), "FusedMatMul", List.of(mm.input(0), mm.input(1), bias),
                        add.outputs(), List.of()), mm, add);
            }
        }
        return null;
    }

    /** True when both operands have at least two dims, so the output's last axis is B's columns. */
    private static boolean matrices(OptGraph g, Node mm) {
        SymbolicShape a = g.shape(mm.input(0));
        SymbolicShape b = g.shape(mm.input(1));
        return a != null && b != null && a.rank() >= 2 && b.rank() >= 2;
    }

    /** True when {@code bias} only varies along the last axis of {@code out} and does not grow it. */
    static boolean alongLastAxis(SymbolicShape bias, SymbolicShape out) {
        if (bias == null || out == null || bias.rank() == 0 || bias.rank() > out.rank()
                || !Match.sameDim(bias.dim(-1), out.dim(-1))) {
            return false;
        }
        for (int i = 0; i < bias.rank() - 1; i++) {
            if (!bias.dim(i).isKnown() || bias.dim(i).value() != 1) {
                return false;
            }
        }
        return true;
    }
}

package dev.kiln.opt.rules;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.ops.Activation;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import java.util.ArrayList;
import java.util.List;

/** The fused forms of Conv, Gemm and MatMul that carry an epilogue. */
final class Fused {
    private Fused() {
    }

    /** The fused operator a float32 Conv, Gemm or MatMul (or its fused form) becomes, or {@code null}. */
    static String fusedOp(Node p) {
        if (p.domain().isEmpty()) {
            return switch (p.opType()) {
                case "Conv" -> "FusedConv";
                case "Gemm" -> "FusedGemm";
                case "MatMul" -> "FusedMatMul";
                default -> null;
            };
        }
        if (p.domain().equals(OptGraph.KILN_DOMAIN)
                && (p.opType().equals("FusedConv") || p.opType().equals("FusedGemm") || p.opType().equals("FusedMatMul"))) {
            return p.opType();
        }
        return null;
    }

    /** True when {@code p} can take an activation: a float32 Conv/Gemm/MatMul, or a fused one without activation. */
    static boolean acceptsActivation(Node p, OptGraph g) {
        return p != null && fusedOp(p) != null && p.outputs().size() == 1 && Match.isFloat(g, p.outputs().get(0))
                && p.attrString("activation", "").isEmpty();
    }

    /** {@code p} in its fused form with {@code activation}, producing {@code outputs}. */
    static Node withActivation(Node p, Activation activation, List<String> outputs) {
        List<Attribute> attrs = new ArrayList<>();
        for (Attribute a : p.attributes().values()) {
            if (!a.name().startsWith("activation")) {
                attrs.add(a);
            }
        }
        attrs.addAll(activation.attributes());
        return Match.kiln(p.name(), fusedOp(p), p.inputs(), outputs, attrs);
    }

    /** True when {@code p} is a float32 Conv, or a FusedConv with neither residual nor activation. */
    static boolean plainConv(Node p, OptGraph g) {
        if (p == null || p.outputs().size() != 1 || !Match.isFloat(g, p.outputs().get(0))) {
            return false;
        }
        if (p.domain().isEmpty() && p.opType().equals("Conv")) {
            return true;
        }
        return p.domain().equals(OptGraph.KILN_DOMAIN) && p.opType().equals("FusedConv") && !p.hasInput(3)
                && p.attrString("activation", "").isEmpty();
    }

    /** A FusedConv computing {@code conv} with bias {@code bias} ("" for none) and residual {@code z} ("" for none). */
    static Node conv(Node conv, String bias, String z, List<String> outputs) {
        List<String> ins = new ArrayList<>(List.of(conv.input(0), conv.input(1), bias));
        if (!z.isEmpty()) {
            ins.add(z);
        }
        while (ins.get(ins.size() - 1).isEmpty()) {
            ins.remove(ins.size() - 1);
        }
        return Match.kiln(conv.name(), "FusedConv", ins, outputs, List.copyOf(conv.attributes().values()));
    }
}

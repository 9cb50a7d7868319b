package dev.kiln.opt.rules;

import dev.kiln.graph.Node;
import dev.kiln.ops.Activation;
import dev.kiln.ops.Activation.Kind;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Patch;
import dev.kiln.opt.RewriteRule;
import dev.kiln.tensor.Tensor;
import java.util.Set;

/**
 * An activation right after a Conv, Gemm or MatMul (or their fused forms) → that operator's
 * epilogue: {@code Relu(Conv(x))} → {@code kiln.FusedConv(x, activation=Relu)}. Covers Relu,
 * LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu (both spellings once fused) and
 * SiLU ({@code y * Sigmoid(y)}).
 */
public final class FuseActivation implements RewriteRule {
    @Override
    public String name() {
        return "fuse-activation";
    }

    @Override
    public Set<String> roots() {
        return Set.of("Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Gelu", "Mul");
    }

    @Override
    public Patch match(Node act, OptGraph g) {
        if (act.opType().equals("Mul")) {
            return silu(act, g);
        }
        Activation a = activationOf(act, g);
        String y = act.input(0);
        Node p = g.singleUse(y) ? g.producer(y) : null;
        if (a == null || !Fused.acceptsActivation(p, g)) {
            return null;
        }
        return Patch.replace(Fused.withActivation(p, a, act.outputs()), p, act);
    }

    /** {@code Mul(y, Sigmoid(y))} with y from a fusable producer that nothing else reads. */
    private static Patch silu(Node mul, OptGraph g) {
        if (!mul.domain().isEmpty() || mul.inputs().size() != 2) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            Node s = Match.soleProducer(g, mul.input(i), "Sigmoid");
            String y = mul.input(1 - i);
            if (s == null || !s.input(0).equals(y) || g.consumers(y).size() != 2 || g.isGraphOutput(y)) {
                continue;
            }
            Node p = g.producer(y);
            if (Fused.acceptsActivation(p, g)) {
                return Patch.replace(Fused.withActivation(p, Activation.of(Kind.SILU), mul.outputs()), p, s, mul);
            }
        }
        return null;
    }

    /** The epilogue form of an activation node, or {@code null} when it has none (or is not float32). */
    static Activation activationOf(Node n, OptGraph g) {
        if (!Match.isFloat(g, n.input(0))) {
            return null;
        }
        if (n.domain().equals(OptGraph.KILN_DOMAIN) && n.opType().equals("Gelu")) {
            return gelu(n);
        }
        if (!n.domain().isEmpty()) {
            return null;
        }
        return switch (n.opType()) {
            case "Relu" -> Activation.of(Kind.RELU);
            case "LeakyRelu" -> new Activation(Kind.LEAKY_RELU, n.attrFloat("alpha", 0.01f), 0);
            case "Sigmoid" -> Activation.of(Kind.SIGMOID);
            case "HardSigmoid" -> new Activation(Kind.HARD_SIGMOID, n.attrFloat("alpha", 0.2f), n.attrFloat("beta", 0.5f));
            case "HardSwish" -> Activation.of(Kind.HARD_SWISH);
            case "Tanh" -> Activation.of(Kind.TANH);
            case "Gelu" -> gelu(n);
            case "Clip" -> clip(n, g);
            default -> null;
        };
    }

    private static Activation gelu(Node n) {
        return switch (n.attrString("approximate", "none")) {
            case "none" -> Activation.of(Kind.GELU);
            case "tanh" -> Activation.of(Kind.GELU_TANH);
            default -> null;
        };
    }

    /** Clip's bounds are attributes before opset 11 and optional constant inputs since. */
    private static Activation clip(Node n, OptGraph g) {
        if (g.opset("") < 11) {
            return new Activation(Kind.CLIP, n.attrFloat("min", Float.NEGATIVE_INFINITY),
                    n.attrFloat("max", Float.POSITIVE_INFINITY));
        }
        float[] bounds = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int i = 1; i <= 2; i++) {
            if (n.hasInput(i)) {
                Tensor t = g.constant(n.input(i));
                if (t == null || t.size() != 1) {
                    return null;
                }
                bounds[i - 1] = (float) t.getDouble(0);
            }
        }
        return new Activation(Kind.CLIP, bounds[0], bounds[1]);
    }
}

package dev.kiln.ops;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The activation a fused Kiln operator applies to its result (its epilogue), as written in the
 * node's attributes {@code activation}, {@code activation_alpha} and {@code activation_beta}.
 * This is the description; each backend implements the function (the reference kernels
 * compute it in double from the float result, exactly as the unfused operator would).
 *
 * @param kind the function
 * @param alpha the first parameter (LeakyRelu and HardSigmoid alpha, Clip minimum)
 * @param beta the second parameter (HardSigmoid beta, Clip maximum)
 */
public record Activation(Kind kind, float alpha, float beta) {
    /** The activations an epilogue can apply, with their ONNX meaning. */
    public enum Kind {
        /** No activation. */
        NONE("", 0, 0),
        /** {@code max(0, x)}. */
        RELU("Relu", 0, 0),
        /** {@code x < 0 ? alpha x : x}. */
        LEAKY_RELU("LeakyRelu", 0.01f, 0),
        /** {@code min(max(x, alpha), beta)}. */
        CLIP("Clip", Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY),
        /** {@code 1 / (1 + exp(-x))}. */
        SIGMOID("Sigmoid", 0, 0),
        /** {@code max(0, min(1, alpha x + beta))}. */
        HARD_SIGMOID("HardSigmoid", 0.2f, 0.5f),
        /** {@code x max(0, min(1, x / 6 + 1 / 2))}. */
        HARD_SWISH("HardSwish", 0, 0),
        /** {@code x sigmoid(x)}. */
        SILU("SiLU", 0, 0),
        /** {@code x / 2 (1 + erf(x / sqrt 2))}. */
        GELU("Gelu", 0, 0),
        /** {@code x / 2 (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))}. */
        GELU_TANH("GeluTanh", 0, 0),
        /** {@code tanh(x)}. */
        TANH("Tanh", 0, 0);

        private final String attr;
        private final float alpha;
        private final float beta;

        Kind(String attr, float alpha, float beta) {
            this.attr = attr;
            this.alpha = alpha;
            this.beta = beta;
        }
    }

    /** An activation with its default parameters. */
    public static Activation of(Kind kind) {
        return new Activation(kind, kind.alpha, kind.beta);
    }

    /**
     * The activation of a fused node.
     *
     * @throws IllegalArgumentException for an unknown {@code activation} value
     */
    public static Activation of(Node fused) {
        String name = fused.attrString("activation", "");
        for (Kind k : Kind.values()) {
            if (k.attr.equals(name)) {
                return new Activation(k, fused.attrFloat("activation_alpha", k.alpha), fused.attrFloat("activation_beta", k.beta));
            }
        }
        throw new IllegalArgumentException("unknown activation '" + name + "'");
    }

    /** The attributes describing this activation on a fused node (none for {@link Kind#NONE}). */
    public List<Attribute> attributes() {
        List<Attribute> r = new ArrayList<>();
        if (kind != Kind.NONE) {
            r.add(new Attribute.StringAttr("activation", kind.attr));
            if (alpha != kind.alpha) {
                r.add(new Attribute.FloatAttr("activation_alpha", alpha));
            }
            if (beta != kind.beta) {
                r.add(new Attribute.FloatAttr("activation_beta", beta));
            }
        }
        return r;
    }

    @Override
    public String toString() {
        return kind == Kind.NONE ? "none" : kind.attr + (alpha != kind.alpha || beta != kind.beta
                ? String.format(Locale.ROOT, "(%g, %g)", alpha, beta) : "");
    }
}

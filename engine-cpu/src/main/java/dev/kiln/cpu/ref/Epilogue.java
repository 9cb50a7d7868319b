package dev.kiln.cpu.ref;

import dev.kiln.ops.Activation;
import java.util.function.DoubleUnaryOperator;

/**
 * The reference form of a fused operator's activation: the same function, computed in double on
 * the float result, that the unfused activation kernel computes, so fused and unfused agree.
 */
final class Epilogue {
    private Epilogue() {
    }

    /** The activation as a function, or {@code null} for none. */
    static DoubleUnaryOperator function(Activation a) {
        double alpha = a.alpha();
        double beta = a.beta();
        return switch (a.kind()) {
            case NONE -> null;
            case RELU -> x -> Math.max(0.0, x);
            case LEAKY_RELU -> x -> x < 0 ? alpha * x : x;
            case CLIP -> x -> Double.isNaN(x) ? x : Math.min(beta, Math.max(alpha, x));
            case SIGMOID -> UnaryKernels::sigmoid;
            case HARD_SIGMOID -> x -> Math.max(0, Math.min(1, alpha * x + beta));
            case HARD_SWISH -> x -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
            case SILU -> x -> x * UnaryKernels.sigmoid(x);
            case GELU -> Epilogue::gelu;
            case GELU_TANH -> Epilogue::geluTanh;
            case TANH -> Math::tanh;
        };
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double SQRT_2 = Math.sqrt(2);

    /** GELU, {@code x / 2 (1 + erf(x / sqrt 2))}. */
    static double gelu(double x) {
        return 0.5 * x * (1 + SpecialFunctions.erf(x / SQRT_2));
    }

    /** GELU's tanh approximation. */
    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    }
}

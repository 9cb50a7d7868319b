package dev.kiln.cpu.ref;

/**
 * The score transforms of the {@code ai.onnx.ml} predictors: NONE (0), SOFTMAX (1), LOGISTIC (2),
 * SOFTMAX_ZERO (3, a softmax over the non-zero scores that keeps zeros at zero) and PROBIT (4, the
 * inverse of the standard normal distribution function).
 */
final class PostTransform {
    private PostTransform() {
    }

    /** Writes the transformed {@code scores} of one row to {@code out}. */
    static void apply(int kind, double[] scores, double[] out) {
        switch (kind) {
            case 1 -> softmax(scores, out, false);
            case 2 -> {
                for (int i = 0; i < scores.length; i++) {
                    out[i] = 1 / (1 + Math.exp(-scores[i]));
                }
            }
            case 3 -> softmax(scores, out, true);
            case 4 -> {
                for (int i = 0; i < scores.length; i++) {
                    out[i] = probit(scores[i]);
                }
            }
            default -> System.arraycopy(scores, 0, out, 0, scores.length);
        }
    }

    private static void softmax(double[] s, double[] out, boolean keepZeros) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : s) {
            if (!(keepZeros && v == 0)) {
                max = Math.max(max, v);
            }
        }
        double sum = 0;
        for (int i = 0; i < s.length; i++) {
            out[i] = keepZeros && s[i] == 0 ? 0 : Math.exp(s[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < s.length; i++) {
            out[i] = sum == 0 ? 0 : out[i] / sum;
        }
    }

    /** The quantile of the standard normal distribution: sqrt(2) * erfinv(2p - 1). */
    static double probit(double p) {
        if (Double.isNaN(p) || p < 0 || p > 1) {
            return Double.NaN;
        }
        if (p == 0 || p == 1) {
            return p == 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(2) * erfinv(2 * p - 1);
    }

    /** The inverse error function: a closed-form first guess refined by Newton steps on erf. */
    static double erfinv(double y) {
        double a = 0.147;
        double ln = Math.log(1 - y * y);
        double t = 2 / (Math.PI * a) + ln / 2;
        double x = Math.copySign(Math.sqrt(Math.sqrt(t * t - ln / a) - t), y);
        for (int i = 0; i < 4; i++) {
            double err = SpecialFunctions.erf(x) - y;
            x -= err / (2 / Math.sqrt(Math.PI) * Math.exp(-x * x));
        }
        return x;
    }
}

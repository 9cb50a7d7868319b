package dev.kiln.cpu.ref;

/** Functions the JDK lacks, to double precision. */
public final class SpecialFunctions {
    private SpecialFunctions() {
    }

    /**
     * The error function. A Taylor series near zero and a continued fraction for erfc in the
     * tails, each used where it converges fast; both are accurate to about 1e-15.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double term = a;
            double sum = a;
            double x2 = a * a;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = sum * 1.1283791670955126;
        } else if (a > 6) {
            r = 1.0;
        } else {
            r = 1.0 - erfcContinuedFraction(a);
        }
        return x < 0 ? -r : r;
    }

    /** erfc(x) for x >= 2.5 by the Laplace continued fraction, evaluated bottom-up. */
    private static double erfcContinuedFraction(double x) {
        double f = 0;
        for (int n = 60; n >= 1; n--) {
            f = (n / 2.0) / (x + f);
        }
        return Math.exp(-x * x) / (Math.sqrt(Math.PI) * (x + f));
    }
}

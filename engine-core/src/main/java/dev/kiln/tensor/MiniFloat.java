package dev.kiln.tensor;

/**
 * A small floating point format (float8, float4) described by its exponent and mantissa
 * widths and its special-value conventions, with exact round-to-nearest-even encoding.
 *
 * <p>Encoding works on the magnitude as an integer code: for these formats the code
 * {@code (biasedExponent << mantissaBits) | mantissa} grows monotonically with the value,
 * so rounding reduces to rounding a scaled magnitude to an integer.
 */
public final class MiniFloat {
    /** How a format spells NaN and infinity. */
    public enum Specials {
        /** IEEE-like: all-ones exponent is infinity (mantissa 0) or NaN. */
        IEEE,
        /** Only the all-ones code (sign either way) is NaN; no infinity (the "FN" formats). */
        FN,
        /** The negative-zero code 0x80 is the only NaN; no infinity, no negative zero ("FNUZ"). */
        FNUZ,
        /** No NaN, no infinity (float4e2m1). */
        NONE
    }

    /** float8 E4M3FN: max 448, NaN only. */
    public static final MiniFloat E4M3FN = new MiniFloat(4, 3, 7, Specials.FN);
    /** float8 E4M3FNUZ: max 240, NaN is 0x80. */
    public static final MiniFloat E4M3FNUZ = new MiniFloat(4, 3, 8, Specials.FNUZ);
    /** float8 E5M2: IEEE-like, max 57344. */
    public static final MiniFloat E5M2 = new MiniFloat(5, 2, 15, Specials.IEEE);
    /** float8 E5M2FNUZ: max 57344, NaN is 0x80. */
    public static final MiniFloat E5M2FNUZ = new MiniFloat(5, 2, 16, Specials.FNUZ);
    /** float4 E2M1: values 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives. */
    public static final MiniFloat E2M1 = new MiniFloat(2, 1, 1, Specials.NONE);

    private final int expBits;
    private final int mantBits;
    private final int bias;
    private final Specials specials;
    private final int signBit;
    private final int maxCode;
    private final float maxValue;

    private MiniFloat(int expBits, int mantBits, int bias, Specials specials) {
        this.expBits = expBits;
        this.mantBits = mantBits;
        this.bias = bias;
        this.specials = specials;
        this.signBit = 1 << (expBits + mantBits);
        int allOnes = signBit - 1;
        this.maxCode = switch (specials) {
            case IEEE -> ((1 << expBits) - 2) << mantBits | ((1 << mantBits) - 1);
            case FN -> allOnes - 1;
            case FNUZ, NONE -> allOnes;
        };
        this.maxValue = decodeMagnitude(maxCode);
    }

    /** Largest finite value. */
    public float max() {
        return maxValue;
    }

    /** Decodes a code (the low {@code 1 + exp + mantissa} bits) to a float. */
    public float decode(int code) {
        code &= (signBit << 1) - 1;
        boolean negative = (code & signBit) != 0;
        int mag = code & (signBit - 1);
        switch (specials) {
            case IEEE -> {
                if ((mag >> mantBits) == (1 << expBits) - 1) {
                    if ((mag & ((1 << mantBits) - 1)) == 0) {
                        return negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
                    }
                    return Float.NaN;
                }
            }
            case FN -> {
                if (mag == signBit - 1) {
                    return Float.NaN;
                }
            }
            case FNUZ -> {
                if (code == signBit) {
                    return Float.NaN;
                }
            }
            case NONE -> { }
        }
        float v = decodeMagnitude(mag);
        return negative ? -v : v;
    }

    private float decodeMagnitude(int mag) {
        int e = mag >> mantBits;
        int m = mag & ((1 << mantBits) - 1);
        if (e == 0) {
            return (float) Math.scalb((double) m, 1 - bias - mantBits);
        }
        return (float) Math.scalb((double) ((1 << mantBits) | m), e - bias - mantBits);
    }

    /**
     * Encodes with round-to-nearest-even.
     *
     * @param saturate when true, out-of-range values and infinities become ±max; when false
     *                 they become infinity (IEEE formats) or NaN, as ONNX Cast specifies
     */
    public int encode(double x, boolean saturate) {
        if (Double.isNaN(x)) {
            return nanCode(Double.doubleToRawLongBits(x) < 0);
        }
        boolean negative = x < 0 || (x == 0 && 1 / x < 0);
        double a = Math.abs(x);
        int sign = negative ? signBit : 0;
        if (Double.isInfinite(a)) {
            if (saturate) {
                return sign | maxCode;
            }
            return overflowCode(negative);
        }
        int mag = roundMagnitude(a);
        if (mag > maxCode) {
            if (saturate || specials == Specials.NONE) {
                return sign | maxCode;
            }
            return overflowCode(negative);
        }
        if (mag == 0 && specials == Specials.FNUZ) {
            return 0;
        }
        return sign | mag;
    }

    private int roundMagnitude(double a) {
        if (a == 0) {
            return 0;
        }
        int e = Math.getExponent(a);
        int minNormalExp = 1 - bias;
        if (e < minNormalExp) {
            // Subnormal range: the code is the magnitude in units of the smallest subnormal.
            return (int) Math.rint(Math.scalb(a, bias - 1 + mantBits));
        }
        if (e - minNormalExp > (1 << expBits) + 2) {
            return Integer.MAX_VALUE;
        }
        long q = (long) Math.rint(Math.scalb(a, mantBits - e));
        if (q == 2L << mantBits) {
            q = 1L << mantBits;
            e++;
        }
        long code = ((long) (e + bias) << mantBits) | (q - (1L << mantBits));
        return code > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) code;
    }

    private int nanCode(boolean negative) {
        return switch (specials) {
            case IEEE -> (negative ? signBit : 0) | (((1 << expBits) - 1) << mantBits) | (1 << (mantBits - 1));
            case FN -> (negative ? signBit : 0) | (signBit - 1);
            case FNUZ -> signBit;
            // No NaN code: ONNX's reference conversion (ml_dtypes) gives the zero of the opposite sign.
            case NONE -> negative ? 0 : signBit;
        };
    }

    private int overflowCode(boolean negative) {
        return switch (specials) {
            case IEEE -> (negative ? signBit : 0) | (((1 << expBits) - 1) << mantBits);
            case FN, FNUZ -> nanCode(negative);
            case NONE -> (negative ? signBit : 0) | maxCode;
        };
    }
}

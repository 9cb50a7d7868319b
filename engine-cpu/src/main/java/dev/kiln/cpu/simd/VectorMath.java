package dev.kiln.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 transcendental functions on whole vectors, accurate to a few units in the last place
 * (relative error below 3e-7 over the float range), which is well inside the ONNX conformance
 * tolerance. The polynomials were fitted by least squares on Chebyshev nodes for this class;
 * the fitting ranges are given next to each.
 *
 * <p>The methods are small and static so that C2 inlines them into the calling loop; a vector
 * passed to a method that is not inlined gets boxed, which costs more than the math.
 */
final class VectorMath {
    private VectorMath() {
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float below 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    private static final float EXP_MAX = 88.3762626647949f;
    private static final float EXP_MIN = -87.3365478515625f;

    // exp(r) on [-ln2/2, ln2/2], relative error 8e-8.
    private static final float E2 = 0.49999991059303284f;
    private static final float E3 = 0.1666642129421234f;
    private static final float E4 = 0.0416683591902256f;
    private static final float E5 = 0.0083747748285532f;
    private static final float E6 = 0.001382942427881062f;

    /**
     * e^x. Inputs below about -87.3 give the smallest normal float instead of a subnormal or 0,
     * inputs above 88.4 give 2^127 * e^0.38 instead of infinity; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(E6, E5);
        p = p.fma(r, FloatVector.broadcast(S, E4));
        p = p.fma(r, FloatVector.broadcast(S, E3));
        p = p.fma(r, FloatVector.broadcast(S, E2));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        IntVector bits = (IntVector) t.reinterpretAsInts();
        IntVector scale = bits.sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        FloatVector y = p.mul(scale.reinterpretAsFloats());
        return y.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** 1 / (1 + e^-x). */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.neg());
        return FloatVector.broadcast(S, 1f).div(e.add(1f)).blend(x, x.test(VectorOperators.IS_NAN));
    }

    // tanh(x)/x as a polynomial in x^2 on [0, 0.625], relative error 1.4e-7.
    private static final float T1 = -0.33333277702331543f;
    private static final float T2 = 0.13331419229507446f;
    private static final float T3 = -0.05373983085155487f;
    private static final float T4 = 0.020642206072807312f;
    private static final float T5 = -0.0057099056430161f;

    /** tanh(x): an odd polynomial near zero, 1 - 2 / (e^2x + 1) elsewhere. */
    static FloatVector tanh(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.fma(T5, T4);
        p = p.fma(x2, FloatVector.broadcast(S, T3));
        p = p.fma(x2, FloatVector.broadcast(S, T2));
        p = p.fma(x2, FloatVector.broadcast(S, T1));
        p = p.fma(x2, FloatVector.broadcast(S, 1f));
        FloatVector small = x.mul(p);
        FloatVector a = x.abs().min(9f);
        FloatVector e = exp(a.add(a));
        FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
        big = withSignOf(big, x);
        return big.blend(small, x.abs().compare(VectorOperators.LT, 0.625f));
    }

    // erf(x)/x as a polynomial in x^2 on [0, 1], relative error 2.1e-7.
    private static final float F0 = 1.128379225730896f;
    private static final float F1 = -0.3761262893676758f;
    private static final float F2 = 0.11283612251281738f;
    private static final float F3 = -0.026854807510972023f;
    private static final float F4 = 0.005190051626414061f;
    private static final float F5 = -0.0008024335256777704f;
    private static final float F6 = 7.898139301687479e-05f;
    // erfc(x) e^(x^2) as a polynomial in 1/x on [1, 4], relative error 2.6e-7.
    private static final float R0 = 0.00024699026835151017f;
    private static final float R1 = 0.5594154000282288f;
    private static final float R2 = 0.039473749697208405f;
    private static final float R3 = -0.46206310391426086f;
    private static final float R4 = 0.47497254610061646f;
    private static final float R5 = -0.2106054574251175f;
    private static final float R6 = -0.003244636347517371f;
    private static final float R7 = 0.04146644100546837f;
    private static final float R8 = -0.012078411877155304f;

    /** The error function: x P(x^2) for |x| < 1, 1 - e^(-x^2) R(1/|x|) up to 4, and +-1 beyond. */
    static FloatVector erf(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.fma(F6, F5);
        p = p.fma(x2, FloatVector.broadcast(S, F4));
        p = p.fma(x2, FloatVector.broadcast(S, F3));
        p = p.fma(x2, FloatVector.broadcast(S, F2));
        p = p.fma(x2, FloatVector.broadcast(S, F1));
        p = p.fma(x2, FloatVector.broadcast(S, F0));
        FloatVector small = x.mul(p);
        FloatVector a = x.abs().max(1f).min(4f);
        FloatVector u = FloatVector.broadcast(S, 1f).div(a);
        FloatVector q = u.fma(R8, R7);
        q = q.fma(u, FloatVector.broadcast(S, R6));
        q = q.fma(u, FloatVector.broadcast(S, R5));
        q = q.fma(u, FloatVector.broadcast(S, R4));
        q = q.fma(u, FloatVector.broadcast(S, R3));
        q = q.fma(u, FloatVector.broadcast(S, R2));
        q = q.fma(u, FloatVector.broadcast(S, R1));
        q = q.fma(u, FloatVector.broadcast(S, R0));
        FloatVector big = FloatVector.broadcast(S, 1f).sub(exp(a.mul(a).neg()).mul(q));
        big = withSignOf(big, x);
        VectorMask<Float> isSmall = x.abs().compare(VectorOperators.LT, 1f);
        return big.blend(small, isSmall.or(x.test(VectorOperators.IS_NAN)));
    }

    /** {@code magnitude} (non-negative) with the sign bit of {@code x}. */
    private static FloatVector withSignOf(FloatVector magnitude, FloatVector x) {
        IntVector sign = ((IntVector) x.reinterpretAsInts()).and(0x80000000);
        return ((IntVector) magnitude.reinterpretAsInts()).or(sign).reinterpretAsFloats();
    }

    private static final float SQRT1_2 = 0.70710678118654752f;

    /** GELU with the exact (erf) form: x/2 (1 + erf(x / sqrt 2)). */
    static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul(SQRT1_2)).add(1f));
    }
}

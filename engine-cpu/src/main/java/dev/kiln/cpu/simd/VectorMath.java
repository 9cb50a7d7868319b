package dev.kiln.cpu.simd;

import dev.kiln.cpu.ref.SpecialFunctions;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 transcendental functions over runs of memory ({@code dst[d + i] = f(src[so + i])}),
 * accurate to a few units in the last place (relative error below 3e-7 over the float range),
 * well inside the ONNX conformance tolerance. The polynomials were fitted for this class by
 * least squares on Chebyshev nodes; the fitting ranges are given next to each.
 *
 * <p>Why whole loops and not functions of one vector: a vector passed to or returned from a
 * method that C2 does not inline is boxed, which costs a hundred times the math, and C2 refuses
 * to inline a callee once it has been compiled on its own into a large method, which is exactly
 * what happens to a helper shared by several loops. So each loop here is self-contained (the exp
 * steps are written out in each) and takes only scalars and segments. The loops run over whole
 * vectors without masks and finish the last few elements in scalar double precision: a masked
 * main loop makes C2 deoptimize again and again when some calls end on a partial vector.
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float below 2^22 to an integer held in the low mantissa bits. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    /** The exp steps work on [EXP_MIN, EXP_MAX]; inputs are clamped to it. */
    private static final float EXP_MAX = 88.3762626647949f;
    private static final float EXP_MIN = -87.3365478515625f;
    /** Above this e^x overflows float, below {@link #EXP_ZERO} it rounds to 0. */
    private static final float EXP_OVERFLOW = 88.72284f;
    private static final float EXP_ZERO = -103.972084f;

    // e^r on [-ln2/2, ln2/2] = 1 + r + E2 r^2 + ... + E6 r^6, relative error 8e-8.
    private static final float E2 = 0.49999991059303284f;
    private static final float E3 = 0.1666642129421234f;
    private static final float E4 = 0.0416683591902256f;
    private static final float E5 = 0.0083747748285532f;
    private static final float E6 = 0.001382942427881062f;

    // tanh(x)/x as a polynomial in x^2 on [0, 0.625], relative error 1.4e-7.
    private static final float T1 = -0.33333277702331543f;
    private static final float T2 = 0.13331419229507446f;
    private static final float T3 = -0.05373983085155487f;
    private static final float T4 = 0.020642206072807312f;
    private static final float T5 = -0.0057099056430161f;

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

    /** 1 / sqrt 2: GELU is x/2 (1 + erf(x / sqrt 2)). */
    static final float SQRT1_2 = 0.70710678118654752f;

    /**
     * The sum of the lanes, first to last. Not {@code reduceLanes(ADD)}: its order is left to the
     * implementation, and the interpreter and C2 sum in different orders, so one session gave
     * other bits for the same input once its kernels were compiled (DeterminismTest).
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }

    /** e^x, with +inf above the float range and 0 below it; NaN stays NaN. */
    static void exp(MemorySegment src, long so, MemorySegment dst, long d, long n) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            // e = exp(x), steps written out (see the class comment).
            FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
            FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
            FloatVector k = t.sub(ROUND_MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E6, E5);
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector e = p.mul(bits.sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_OVERFLOW))
                    .blend(0f, x.compare(VectorOperators.LT, EXP_ZERO))
                    .blend(x, x.test(VectorOperators.IS_NAN));
            e.intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(Layouts.F32, d + i, (float) Math.exp(src.getAtIndex(Layouts.F32, so + i)));
        }
    }

    /**
     * {@code dst[i] = e^(src[i] - shift)} (when {@code store}) and returns the sum of those values:
     * the middle pass of Softmax, with shift the row maximum so every value is at most 1.
     */
    static float expShiftedSum(MemorySegment src, long so, float shift, MemorySegment dst, long d, long n, boolean store) {
        int l = S.length();
        FloatVector sum = FloatVector.zero(S);
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE).sub(shift);
            FloatVector xc = x.max(EXP_MIN).min(EXP_MAX);
            FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
            FloatVector k = t.sub(ROUND_MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E6, E5);
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector e = p.mul(bits.sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            // Below the range the true value is under 1e-38 of the row's largest term: 0.
            e = e.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
            if (store) {
                e.intoMemorySegment(dst, (d + i) * 4, LE);
            }
            sum = sum.add(e);
        }
        float total = sumLanes(sum);
        for (; i < n; i++) {
            float e = (float) Math.exp(src.getAtIndex(Layouts.F32, so + i) - shift);
            if (store) {
                dst.setAtIndex(Layouts.F32, d + i, e);
            }
            total += e;
        }
        return total;
    }

    /**
     * {@code y = sigmoid(scale * x)}, times x when {@code timesX} (SiLU/Swish):
     * 1 / (1 + e^-(scale x)).
     */
    static void sigmoid(MemorySegment src, long so, MemorySegment dst, long d, long n, float scale, boolean timesX) {
        int l = S.length();
        FloatVector one = FloatVector.broadcast(S, 1f);
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            FloatVector xc = x.mul(-scale).max(EXP_MIN).min(EXP_MAX);
            FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
            FloatVector k = t.sub(ROUND_MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E6, E5);
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, one);
            p = p.fma(r, one);
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector e = p.mul(bits.sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector y = one.div(e.add(1f));
            if (timesX) {
                y = y.mul(x);
            }
            y.blend(x, x.test(VectorOperators.IS_NAN)).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            double x = src.getAtIndex(Layouts.F32, so + i);
            double z = scale * x;
            double y = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
            dst.setAtIndex(Layouts.F32, d + i, (float) (timesX ? y * x : y));
        }
    }

    /** tanh(x): an odd polynomial for |x| < 0.625, 1 - 2 / (e^2|x| + 1) with x's sign elsewhere. */
    static void tanh(MemorySegment src, long so, MemorySegment dst, long d, long n) {
        int l = S.length();
        FloatVector one = FloatVector.broadcast(S, 1f);
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            FloatVector x2 = x.mul(x);
            FloatVector q = x2.fma(T5, T4);
            q = q.fma(x2, FloatVector.broadcast(S, T3));
            q = q.fma(x2, FloatVector.broadcast(S, T2));
            q = q.fma(x2, FloatVector.broadcast(S, T1));
            q = q.fma(x2, one);
            FloatVector small = x.mul(q);
            FloatVector a = x.abs().min(9f);
            FloatVector xc = a.add(a);
            FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
            FloatVector k = t.sub(ROUND_MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E6, E5);
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, one);
            p = p.fma(r, one);
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector e = p.mul(bits.sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector big = one.sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
            big = ((IntVector) big.reinterpretAsInts()).or(((IntVector) x.reinterpretAsInts()).and(0x80000000))
                    .reinterpretAsFloats();
            big.blend(small, x.abs().compare(VectorOperators.LT, 0.625f)).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(Layouts.F32, d + i, (float) Math.tanh(src.getAtIndex(Layouts.F32, so + i)));
        }
    }

    /**
     * {@code erf(scale * x)}, or with {@code gelu} the GELU {@code x/2 (1 + erf(scale x))} (scale
     * 1/sqrt 2). erf is x P(x^2) for |x| < 1, 1 - e^(-x^2) R(1/|x|) with x's sign up to 4, and
     * +-1 beyond.
     */
    static void erf(MemorySegment src, long so, MemorySegment dst, long d, long n, float scale, boolean gelu) {
        int l = S.length();
        FloatVector one = FloatVector.broadcast(S, 1f);
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector in = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            FloatVector x = in.mul(scale);
            FloatVector x2 = x.mul(x);
            FloatVector q = x2.fma(F6, F5);
            q = q.fma(x2, FloatVector.broadcast(S, F4));
            q = q.fma(x2, FloatVector.broadcast(S, F3));
            q = q.fma(x2, FloatVector.broadcast(S, F2));
            q = q.fma(x2, FloatVector.broadcast(S, F1));
            q = q.fma(x2, FloatVector.broadcast(S, F0));
            FloatVector small = x.mul(q);
            FloatVector a = x.abs().max(1f).min(4f);
            FloatVector u = one.div(a);
            FloatVector c = u.fma(R8, R7);
            c = c.fma(u, FloatVector.broadcast(S, R6));
            c = c.fma(u, FloatVector.broadcast(S, R5));
            c = c.fma(u, FloatVector.broadcast(S, R4));
            c = c.fma(u, FloatVector.broadcast(S, R3));
            c = c.fma(u, FloatVector.broadcast(S, R2));
            c = c.fma(u, FloatVector.broadcast(S, R1));
            c = c.fma(u, FloatVector.broadcast(S, R0));
            // e = exp(-a^2); a is in [1, 4], inside the exp steps' range.
            FloatVector xc = a.mul(a).neg();
            FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
            FloatVector k = t.sub(ROUND_MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E6, E5);
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, one);
            p = p.fma(r, one);
            IntVector bits = (IntVector) t.reinterpretAsInts();
            FloatVector e = p.mul(bits.sub(ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector big = one.sub(e.mul(c));
            big = ((IntVector) big.reinterpretAsInts()).or(((IntVector) x.reinterpretAsInts()).and(0x80000000))
                    .reinterpretAsFloats();
            FloatVector y = big.blend(small, x.abs().compare(VectorOperators.LT, 1f).or(x.test(VectorOperators.IS_NAN)));
            if (gelu) {
                y = in.mul(0.5f).mul(y.add(1f));
            }
            y.intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            double x = src.getAtIndex(Layouts.F32, so + i);
            double e = SpecialFunctions.erf(scale * x);
            dst.setAtIndex(Layouts.F32, d + i, (float) (gelu ? 0.5 * x * (1 + e) : e));
        }
    }
}

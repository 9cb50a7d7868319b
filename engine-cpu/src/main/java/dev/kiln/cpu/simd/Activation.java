package dev.kiln.cpu.simd;

import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * An elementwise activation applied in place to float32 runs: the last step of an
 * {@link Epilogue}, and the body of the standalone activation kernels. Immutable.
 */
public final class Activation {
    /** The functions an activation can be. */
    public enum Kind { NONE, RELU, LEAKY_RELU, CLIP, SIGMOID, TANH, HARD_SIGMOID, HARD_SWISH, GELU, SILU }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** The identity. */
    public static final Activation NONE = new Activation(Kind.NONE, 0, 0);

    private final Kind kind;
    private final float p;
    private final float q;

    private Activation(Kind kind, float p, float q) {
        this.kind = kind;
        this.p = p;
        this.q = q;
    }

    /** max(x, 0). */
    public static Activation relu() {
        return new Activation(Kind.RELU, 0, 0);
    }

    /** x for x >= 0, alpha x below. */
    public static Activation leakyRelu(float alpha) {
        return new Activation(Kind.LEAKY_RELU, alpha, 0);
    }

    /** min(max(x, lo), hi); NaN stays NaN. */
    public static Activation clip(float lo, float hi) {
        return new Activation(Kind.CLIP, lo, hi);
    }

    /** 1 / (1 + e^-x). */
    public static Activation sigmoid() {
        return new Activation(Kind.SIGMOID, 0, 0);
    }

    /** tanh(x). */
    public static Activation tanh() {
        return new Activation(Kind.TANH, 0, 0);
    }

    /** max(0, min(1, alpha x + beta)). */
    public static Activation hardSigmoid(float alpha, float beta) {
        return new Activation(Kind.HARD_SIGMOID, alpha, beta);
    }

    /** x max(0, min(1, x / 6 + 1/2)). */
    public static Activation hardSwish() {
        return new Activation(Kind.HARD_SWISH, 1f / 6, 0.5f);
    }

    /** x/2 (1 + erf(x / sqrt 2)). */
    public static Activation gelu() {
        return new Activation(Kind.GELU, 0, 0);
    }

    /** x sigmoid(alpha x) (Swish; SiLU when alpha is 1). */
    public static Activation silu(float alpha) {
        return new Activation(Kind.SILU, alpha, 0);
    }

    /** Which function this is. */
    public Kind kind() {
        return kind;
    }

    /** True for the identity. */
    public boolean isNone() {
        return kind == Kind.NONE;
    }

    /** Applies the activation to {@code count} floats of {@code seg} starting at element {@code off}. */
    public void apply(MemorySegment seg, long off, long count) {
        apply(seg, off, seg, off, count);
    }

    /** Writes f(src[srcOff + i]) to dst[dstOff + i] for i in [0, count). */
    public void apply(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, long count) {
        switch (kind) {
            case NONE -> {
                if (src != dst || srcOff != dstOff) {
                    MemorySegment.copy(src, srcOff * 4, dst, dstOff * 4, count * 4);
                }
            }
            case RELU -> relu(src, srcOff, dst, dstOff, count);
            case LEAKY_RELU -> leaky(src, srcOff, dst, dstOff, count, p);
            case CLIP -> clip(src, srcOff, dst, dstOff, count, p, q);
            case SIGMOID -> VectorMath.sigmoid(src, srcOff, dst, dstOff, count, 1f, false);
            case TANH -> VectorMath.tanh(src, srcOff, dst, dstOff, count);
            case HARD_SIGMOID -> hardSigmoid(src, srcOff, dst, dstOff, count, p, q);
            case HARD_SWISH -> hardSwish(src, srcOff, dst, dstOff, count, p, q);
            case GELU -> VectorMath.erf(src, srcOff, dst, dstOff, count, VectorMath.SQRT1_2, true);
            case SILU -> VectorMath.sigmoid(src, srcOff, dst, dstOff, count, p, true);
        }
    }

    // One loop per function, so each compiles to straight vector code; the main loop is unmasked
    // (masked memory access costs about twice as much) and the tail scalar. The transcendental
    // ones live in VectorMath.

    private static void relu(MemorySegment src, long so, MemorySegment dst, long d, long n) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            x.max(0f).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            float x = src.getAtIndex(Layouts.F32, so + i);
            dst.setAtIndex(Layouts.F32, d + i, Math.max(x, 0f));
        }
    }

    private static void leaky(MemorySegment src, long so, MemorySegment dst, long d, long n, float alpha) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            (x.blend(x.mul(alpha), x.compare(VectorOperators.LT, 0f))).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            float x = src.getAtIndex(Layouts.F32, so + i);
            dst.setAtIndex(Layouts.F32, d + i, x < 0 ? x * alpha : x);
        }
    }

    // max/min of the Vector API propagate NaN, as Clip requires.
    private static void clip(MemorySegment src, long so, MemorySegment dst, long d, long n, float lo, float hi) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            (x.max(lo).min(hi)).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            float x = src.getAtIndex(Layouts.F32, so + i);
            dst.setAtIndex(Layouts.F32, d + i, Math.min(Math.max(x, lo), hi));
        }
    }



    private static void hardSigmoid(MemorySegment src, long so, MemorySegment dst, long d, long n, float alpha, float beta) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            (x.fma(alpha, beta).max(0f).min(1f)).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            float x = src.getAtIndex(Layouts.F32, so + i);
            dst.setAtIndex(Layouts.F32, d + i, Math.min(Math.max(x * alpha + beta, 0f), 1f));
        }
    }

    private static void hardSwish(MemorySegment src, long so, MemorySegment dst, long d, long n, float alpha, float beta) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, (so + i) * 4, LE);
            (x.fma(alpha, beta).max(0f).min(1f).mul(x)).intoMemorySegment(dst, (d + i) * 4, LE);
        }
        for (; i < n; i++) {
            float x = src.getAtIndex(Layouts.F32, so + i);
            dst.setAtIndex(Layouts.F32, d + i, Math.min(Math.max(x * alpha + beta, 0f), 1f) * x);
        }
    }



    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}

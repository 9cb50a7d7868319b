package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 BatchNormalization (inference), LayerNormalization and LRN. BatchNormalization folds its
 * four parameter tensors into one scale and one shift per channel (once, at bind time, when they
 * are constant) and is then a multiply-add per element. LayerNormalization makes two vector
 * passes per row for the mean and variance and a third for the output.
 */
final class NormalizationKernels {
    private NormalizationKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static void register(KernelRegistry r) {
        r.onnx(NormalizationKernels::batchNorm, "BatchNormalization");
        r.onnx(NormalizationKernels::layerNorm, "LayerNormalization");
        // The optimizer's form of the layer norm (any opset, no statistics outputs) is the same computation.
        r.add("kiln", "LayerNormalization", NormalizationKernels::layerNorm);
        r.onnx(NormalizationKernels::lrn, "LRN");
    }

    // ------------------------------------------------------------------ LRN

    /**
     * LRN with the usual beta of 0.75, where {@code d^-0.75 = 1 / (sqrt(d) * sqrt(sqrt(d)))} takes
     * three vector square roots instead of a pow per element; other betas are refused.
     */
    private static Kernel lrn(BindContext b) {
        float alpha = b.node().attrFloat("alpha", 1e-4f);
        float beta = b.node().attrFloat("beta", 0.75f);
        float bias = b.node().attrFloat("bias", 1f);
        long size = b.node().attrInt("size", 0);
        if (!Float32.inputs(b, 0) || beta != 0.75f || size <= 0) {
            return null;
        }
        float scale = alpha / size;
        int before = (int) ((size - 1) / 2);
        int after = (int) (size - 1 - before);
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, "LRN input");
            if (x.rank() < 3) {
                throw new IllegalArgumentException("LRN input must have rank >= 3, got " + x.shape());
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            int c = Math.toIntExact(x.shape().dim(1));
            long plane = x.shape().sizeBetween(2, x.rank());
            long planes = x.shape().dim(0) * c;
            MemorySegment xs = x.data();
            MemorySegment ys = y.data();
            k.parallel().forRange(planes, Math.max(1, (1 << 13) / Math.max(1, plane)), (s, e) -> {
                for (long p = s; p < e; p++) {
                    long image = p / c * c;
                    int ch = (int) (p % c);
                    int lo = Math.max(0, ch - before);
                    int hi = Math.min(c - 1, ch + after);
                    lrnPlane(xs, ys, image * plane, p * plane, plane, lo, hi, bias, scale);
                }
            });
        };
    }

    /** One output plane: channels lo..hi (offsets from {@code image}) feed the sum of squares. */
    private static void lrnPlane(MemorySegment x, MemorySegment y, long image, long off, long n, int lo, int hi,
                                 float bias, float scale) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector sq = FloatVector.zero(S);
            for (int cc = lo; cc <= hi; cc++) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, (image + cc * n + i) * 4, LE);
                sq = v.fma(v, sq);
            }
            FloatVector d = sq.fma(scale, bias);
            FloatVector r = d.sqrt();
            FloatVector den = r.mul(r.sqrt());
            FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE).div(den).intoMemorySegment(y, (off + i) * 4, LE);
        }
        for (; i < n; i++) {
            double sq = 0;
            for (int cc = lo; cc <= hi; cc++) {
                double v = x.getAtIndex(Layouts.F32, image + cc * n + i);
                sq += v * v;
            }
            double d = bias + scale * sq;
            y.setAtIndex(Layouts.F32, off + i, (float) (x.getAtIndex(Layouts.F32, off + i) / Math.pow(d, 0.75)));
        }
    }

    // ------------------------------------------------------------------ BatchNormalization

    private static Kernel batchNorm(BindContext b) {
        if (!Float32.inputs(b, 0, 1, 2, 3, 4) || b.node().attrInt("training_mode", 0) != 0
                || b.node().attrInt("spatial", 1) == 0 || b.node().outputs().size() > 1 && hasExtraOutputs(b)) {
            return null;
        }
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        float[][] folded = fold(b.constantInput(1), b.constantInput(2), b.constantInput(3), b.constantInput(4), eps);
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, "BatchNormalization input X");
            if (x.rank() < 2) {
                throw new IllegalArgumentException("BatchNormalization input must have rank >= 2, got " + x.shape());
            }
            long c = x.shape().dim(1);
            float[][] ab = folded != null ? folded : fold(k.tensor(1), k.tensor(2), k.tensor(3), k.tensor(4), eps);
            if (ab[0].length != c) {
                throw new IllegalArgumentException("BatchNormalization parameters have " + ab[0].length
                        + " channels, input " + x.shape());
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long plane = x.shape().sizeBetween(2, x.rank());
            long planes = x.shape().dim(0) * c;
            MemorySegment xs = x.data();
            MemorySegment ys = y.data();
            k.parallel().forRange(planes, Math.max(1, (1 << 14) / Math.max(1, plane)), (s, e) -> {
                for (long p = s; p < e; p++) {
                    int ch = (int) (p % c);
                    scaleShift(xs, ys, p * plane, plane, ab[0][ch], ab[1][ch]);
                }
            });
        };
    }

    private static boolean hasExtraOutputs(BindContext b) {
        for (int i = 1; i < b.node().outputs().size(); i++) {
            if (!b.node().outputs().get(i).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** {scale / sqrt(var + eps), bias - mean * that} per channel, or null if any input is missing. */
    private static float[][] fold(Tensor scale, Tensor bias, Tensor mean, Tensor var, double eps) {
        if (scale == null || bias == null || mean == null || var == null) {
            return null;
        }
        int c = Math.toIntExact(scale.size());
        if (bias.size() != c || mean.size() != c || var.size() != c) {
            throw new IllegalArgumentException("BatchNormalization parameters differ in size: scale " + scale.shape()
                    + ", B " + bias.shape() + ", mean " + mean.shape() + ", var " + var.shape());
        }
        float[] a = new float[c];
        float[] sh = new float[c];
        for (int i = 0; i < c; i++) {
            double f = scale.getDouble(i) / Math.sqrt(var.getDouble(i) + eps);
            a[i] = (float) f;
            sh[i] = (float) (bias.getDouble(i) - mean.getDouble(i) * f);
        }
        return new float[][] {a, sh};
    }

    /** y = x * a + b over a run. */
    static void scaleShift(MemorySegment x, MemorySegment y, long off, long n, float a, float b) {
        int l = S.length();
        long i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        for (; i <= n - l; i += l) {
            FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE).fma(va, vb).intoMemorySegment(y, (off + i) * 4, LE);
        }
        for (; i < n; i++) {
            y.setAtIndex(Layouts.F32, off + i, x.getAtIndex(Layouts.F32, off + i) * a + b);
        }
    }

    // ------------------------------------------------------------------ LayerNormalization

    private static Kernel layerNorm(BindContext b) {
        if (!Float32.inputs(b, 0, 1, 2) || hasExtraOutputs(b)) {
            return null;
        }
        long axisAttr = b.node().attrInt("axis", -1);
        float eps = b.node().attrFloat("epsilon", 1e-5f);
        Tensor cs = b.constantInput(1);
        Tensor cb = b.inputCount() > 2 ? b.constantInput(2) : null;
        float[] constScale = cs == null ? null : Float32.array(cs);
        float[] constBias = cb == null ? null : Float32.array(cb);
        boolean hasBias = b.inputCount() > 2 && !b.node().input(2).isEmpty();
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, "LayerNormalization input X");
            int rank = x.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long inner = x.shape().sizeBetween(axis, rank);
            float[] scale = constScale != null ? constScale : Float32.array(k.tensor(1));
            float[] bias = !hasBias ? null : constBias != null ? constBias : Float32.array(k.tensor(2));
            if (scale.length != inner || bias != null && bias.length != inner || inner == 0) {
                // Scale or bias broadcast from a smaller shape: rare; the reference kernel handles it.
                reference.run(k);
                return;
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long outer = x.shape().sizeBetween(0, axis);
            MemorySegment xs = x.data();
            MemorySegment ys = y.data();
            k.parallel().forRange(outer, Math.max(1, (1 << 13) / inner), (s, e) -> {
                for (long o = s; o < e; o++) {
                    layerNormRow(xs, ys, o * inner, (int) inner, scale, bias, eps);
                }
            });
        };
    }

    /** One row of LayerNormalization: mean, then variance around it, then the output. */
    static void layerNormRow(MemorySegment x, MemorySegment y, long off, int n, float[] scale, float[] bias, float eps) {
        int l = S.length();
        int tail = n - n % l;
        FloatVector sum = FloatVector.zero(S);
        for (int i = 0; i < tail; i += l) {
            sum = sum.add(FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE));
        }
        float total = VectorMath.sumLanes(sum);
        for (int i = tail; i < n; i++) {
            total += x.getAtIndex(Layouts.F32, off + i);
        }
        float mean = total / n;
        FloatVector sq = FloatVector.zero(S);
        for (int i = 0; i < tail; i += l) {
            FloatVector d = FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE).sub(mean);
            sq = d.fma(d, sq);
        }
        float squares = VectorMath.sumLanes(sq);
        for (int i = tail; i < n; i++) {
            float d = x.getAtIndex(Layouts.F32, off + i) - mean;
            squares += d * d;
        }
        float inv = (float) (1 / Math.sqrt(squares / n + (double) eps));
        for (int i = 0; i < tail; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE).sub(mean).mul(inv)
                    .mul(FloatVector.fromArray(S, scale, i));
            if (bias != null) {
                v = v.add(FloatVector.fromArray(S, bias, i));
            }
            v.intoMemorySegment(y, (off + i) * 4, LE);
        }
        for (int i = tail; i < n; i++) {
            float v = (x.getAtIndex(Layouts.F32, off + i) - mean) * inv * scale[i];
            y.setAtIndex(Layouts.F32, off + i, bias != null ? v + bias[i] : v);
        }
    }
}

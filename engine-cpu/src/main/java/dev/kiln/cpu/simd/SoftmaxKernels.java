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
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 Softmax and LogSoftmax: per row, the maximum, then the sum of e^(x - max) with the
 * vector exp, then a scale (or a shift for LogSoftmax). Before opset 13 a row is everything from
 * {@code axis} on; since 13 it is the single axis, strided when it is not the last.
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static void register(KernelRegistry r) {
        r.onnx(b -> softmax(b, false), "Softmax");
        r.onnx(b -> softmax(b, true), "LogSoftmax");
    }

    private static Kernel softmax(BindContext b, boolean log) {
        if (!Float32.inputs(b, 0)) {
            return null;
        }
        boolean legacy = b.opset() < 13;
        long axisAttr = b.node().attrInt("axis", legacy ? 1 : -1);
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, k.node().opType() + " input");
            int rank = x.rank();
            if (rank == 0 || x.size() == 0) {
                reference.run(k);
                return;
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long len = legacy ? x.shape().sizeBetween(axis, rank) : x.shape().dim(axis);
            long inner = legacy ? 1 : x.shape().sizeBetween(axis + 1, rank);
            long outer = x.shape().sizeBetween(0, axis);
            MemorySegment xs = x.data();
            MemorySegment ys = y.data();
            if (inner == 1) {
                long grain = Math.max(1, (1 << 13) / len);
                k.parallel().forRange(outer, grain, (s, e) -> {
                    for (long o = s; o < e; o++) {
                        row(xs, ys, o * len, len, log);
                    }
                });
            } else {
                k.parallel().forRange(outer * inner, 64, (s, e) -> {
                    for (long t = s; t < e; t++) {
                        long base = (t / inner) * len * inner + t % inner;
                        strided(xs, ys, base, len, inner, log);
                    }
                });
            }
        };
    }

    /** One contiguous row: three passes (max, exp and sum, scale or shift). */
    static void row(MemorySegment x, MemorySegment y, long off, long len, boolean log) {
        int l = S.length();
        long tail = len - len % l;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (long i = 0; i < tail; i += l) {
            mv = mv.max(FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE));
        }
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (long i = tail; i < len; i++) {
            max = Math.max(max, x.getAtIndex(dev.kiln.tensor.Layouts.F32, off + i));
        }
        float sum = VectorMath.expShiftedSum(x, off, max, y, off, len, !log);
        if (log) {
            shift(x, y, off, len, max + (float) Math.log(sum));
        } else {
            UnaryKernels.scale(y, off, len, 1f / sum);
        }
    }

    /** y = x - s over a run. */
    private static void shift(MemorySegment x, MemorySegment y, long off, long n, float s) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE).sub(s).intoMemorySegment(y, (off + i) * 4, LE);
        }
        for (; i < n; i++) {
            y.setAtIndex(Layouts.F32, off + i, x.getAtIndex(Layouts.F32, off + i) - s);
        }
    }

    /** One row whose elements are {@code step} apart (an axis that is not the last); scalar. */
    private static void strided(MemorySegment x, MemorySegment y, long base, long len, long step, boolean log) {
        float max = Float.NEGATIVE_INFINITY;
        for (long i = 0; i < len; i++) {
            max = Math.max(max, x.getAtIndex(dev.kiln.tensor.Layouts.F32, base + i * step));
        }
        double sum = 0;
        for (long i = 0; i < len; i++) {
            sum += Math.exp(x.getAtIndex(dev.kiln.tensor.Layouts.F32, base + i * step) - max);
        }
        double logSum = Math.log(sum);
        for (long i = 0; i < len; i++) {
            double v = x.getAtIndex(dev.kiln.tensor.Layouts.F32, base + i * step) - max;
            y.setAtIndex(dev.kiln.tensor.Layouts.F32, base + i * step, (float) (log ? v - logSum : Math.exp(v) / sum));
        }
    }
}

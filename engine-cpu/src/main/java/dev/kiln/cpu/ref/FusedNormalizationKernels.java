package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * {@code kiln.LayerNormalization(X, Scale, B)} and {@code kiln.SkipLayerNormalization(A, Skip,
 * Scale, B) -> (Y, Sum)}, float32: normalize over the axes from {@code axis} on, in one pass per
 * row for the statistics and one for the result. The skip form adds its two inputs (with Add's
 * broadcasting) while it reads them, and writes the sum only when output 1 is used.
 */
final class FusedNormalizationKernels {
    private FusedNormalizationKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "LayerNormalization", b -> kernel(b, false));
        r.add("kiln", "SkipLayerNormalization", b -> kernel(b, true));
    }

    private static Kernel kernel(BindContext b, boolean skip) {
        long axisAttr = b.node().attrInt("axis", -1);
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        int first = skip ? 2 : 1;
        return k -> {
            Tensor a = k.tensor(0);
            Tensor s = skip ? k.tensor(1) : null;
            Tensor scale = k.tensor(first);
            Tensor bias = k.hasInput(first + 1) ? k.tensor(first + 1) : null;
            for (Tensor t : new Tensor[] {a, s, scale, bias}) {
                if (t != null && t.dtype() != DType.FLOAT) {
                    throw new IllegalArgumentException(k.node().opType() + " takes float tensors, got " + t.dtype());
                }
            }
            Shape shape = skip ? Shapes.broadcast(a.shape(), s.shape()) : a.shape();
            int rank = shape.rank();
            int axis = Shape.normalizeAxis(axisAttr, Math.max(rank, 1));
            long outer = shape.sizeBetween(0, axis);
            long inner = shape.sizeBetween(axis, rank);
            Shape norm = Shape.of(java.util.Arrays.copyOfRange(shape.dims(), axis, rank));
            long[] scaleIdx = index(scale, norm);
            long[] biasIdx = bias == null ? null : index(bias, norm);
            Tensor y = k.allocate(0, DType.FLOAT, shape);
            Tensor sum = skip && k.hasOutput(1) ? k.allocate(1, DType.FLOAT, shape) : null;
            Tensor src = a;
            boolean addOnRead = false;
            if (skip) {
                if (a.shape().equals(shape) && s.shape().equals(shape)) {
                    addOnRead = true;
                } else {
                    src = sum != null ? sum : y;
                    Tensor dst = src;
                    Broadcast.to(shape, a.shape(), s.shape()).forEachRow((o, len, st, step) -> {
                        for (long i = 0; i < len; i++) {
                            dst.setFloat(o + i, a.getFloat(st[0] + i * step[0]) + s.getFloat(st[1] + i * step[1]));
                        }
                    });
                }
            }
            Tensor x = src;
            boolean fused = addOnRead;
            k.parallel().forRange(outer, Math.max(1, 16384 / Math.max(1, inner)), (start, end) -> {
                for (long o = start; o < end; o++) {
                    long base = o * inner;
                    double total = 0;
                    for (long i = base; i < base + inner; i++) {
                        float v = fused ? a.getFloat(i) + s.getFloat(i) : x.getFloat(i);
                        if (fused && sum != null) {
                            sum.setFloat(i, v);
                        }
                        total += v;
                    }
                    double mean = total / inner;
                    double sq = 0;
                    for (long i = base; i < base + inner; i++) {
                        double d = (fused ? a.getFloat(i) + s.getFloat(i) : x.getFloat(i)) - mean;
                        sq += d * d;
                    }
                    double inv = 1 / Math.sqrt(sq / inner + eps);
                    for (long i = 0; i < inner; i++) {
                        float v = fused ? a.getFloat(base + i) + s.getFloat(base + i) : x.getFloat(base + i);
                        double r = (v - mean) * inv * scale.getFloat(scaleIdx == null ? i : scaleIdx[(int) i]);
                        if (bias != null) {
                            r += bias.getFloat(biasIdx == null ? i : biasIdx[(int) i]);
                        }
                        y.setFloat(base + i, (float) r);
                    }
                }
            });
        };
    }

    /**
     * For a scale or bias broadcast over the normalized shape, the element each position reads;
     * {@code null} when that is the position itself (the tensor has the normalized shape's size
     * and broadcasts to it, so it is the same row-major order).
     */
    private static long[] index(Tensor t, Shape norm) {
        if (!Shapes.broadcast(norm, t.shape()).equals(norm)) {
            throw new IllegalArgumentException("scale or bias " + t.shape() + " does not broadcast to the normalized shape "
                    + norm);
        }
        Broadcast bc = Broadcast.to(norm, t.shape());
        if (t.size() == norm.size()) {
            return null;
        }
        long[] r = new long[(int) norm.size()];
        bc.forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                r[(int) (o + i)] = s[0] + i * st[0];
            }
        });
        return r;
    }
}

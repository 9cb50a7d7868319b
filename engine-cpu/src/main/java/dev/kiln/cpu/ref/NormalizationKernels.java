package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Normalizations: BatchNormalization, LayerNormalization, InstanceNormalization, LRN. */
final class NormalizationKernels {
    private NormalizationKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(NormalizationKernels::batchNorm, "BatchNormalization");
        r.onnx(NormalizationKernels::layerNorm, "LayerNormalization");
        r.onnx(NormalizationKernels::instanceNorm, "InstanceNormalization");
        r.onnx(NormalizationKernels::lrn, "LRN");
    }

    private static Kernel batchNorm(BindContext b) {
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        boolean training = b.node().attrInt("training_mode", 0) != 0;
        return k -> {
            if (training) {
                throw new IllegalArgumentException("BatchNormalization in training mode is not supported");
            }
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor bias = k.tensor(2);
            Tensor mean = k.tensor(3);
            Tensor var = k.tensor(4);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long n = x.shape().dim(0);
            long c = x.rank() > 1 ? x.shape().dim(1) : 1;
            long plane = x.shape().sizeBetween(2, x.rank());
            k.parallel().forRange(n * c, 1, (start, end) -> {
                for (long nc = start; nc < end; nc++) {
                    long ch = nc % c;
                    double sd = Math.sqrt(var.getDouble(ch) + eps);
                    double a = scale.getDouble(ch) / sd;
                    double off = bias.getDouble(ch) - mean.getDouble(ch) * a;
                    long base = nc * plane;
                    for (long i = 0; i < plane; i++) {
                        y.setDouble(base + i, x.getDouble(base + i) * a + off);
                    }
                }
            });
        };
    }

    private static Kernel layerNorm(BindContext b) {
        long axisAttr = b.node().attrInt("axis", -1);
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        DType stash = DType.fromCode((int) b.node().attrInt("stash_type", 1));
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor bias = k.hasInput(2) ? k.tensor(2) : null;
            int rank = x.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long outer = x.shape().sizeBetween(0, axis);
            long inner = x.shape().sizeBetween(axis, rank);
            Shape normShape = Shape.of(java.util.Arrays.copyOfRange(x.shape().dims(), axis, rank));
            Broadcast sb = Broadcast.to(normShape, scale.shape());
            long[] scaleIdx = flatIndex(sb, inner);
            long[] biasIdx = bias == null ? null : flatIndex(Broadcast.to(normShape, bias.shape()), inner);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long[] statDims = x.shape().dims();
            for (int i = axis; i < rank; i++) {
                statDims[i] = 1;
            }
            DType st = stash == null ? DType.FLOAT : stash;
            Tensor meanOut = k.hasOutput(1) ? k.allocate(1, st, Shape.of(statDims)) : null;
            Tensor invOut = k.hasOutput(2) ? k.allocate(2, st, Shape.of(statDims)) : null;
            k.parallel().forRange(outer, 1, (start, end) -> {
                for (long o = start; o < end; o++) {
                    long base = o * inner;
                    double sum = 0;
                    for (long i = 0; i < inner; i++) {
                        sum += x.getDouble(base + i);
                    }
                    double mean = sum / inner;
                    double sq = 0;
                    for (long i = 0; i < inner; i++) {
                        double dv = x.getDouble(base + i) - mean;
                        sq += dv * dv;
                    }
                    double inv = 1 / Math.sqrt(sq / inner + eps);
                    for (long i = 0; i < inner; i++) {
                        double v = (x.getDouble(base + i) - mean) * inv * scale.getDouble(scaleIdx[(int) i]);
                        if (bias != null) {
                            v += bias.getDouble(biasIdx[(int) i]);
                        }
                        y.setDouble(base + i, v);
                    }
                    if (meanOut != null) {
                        meanOut.setDouble(o, mean);
                    }
                    if (invOut != null) {
                        invOut.setDouble(o, inv);
                    }
                }
            });
        };
    }

    /** For each element of a broadcast, the index of the input element it reads. */
    private static long[] flatIndex(Broadcast b, long n) {
        long[] r = new long[(int) n];
        b.forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                r[(int) (o + i)] = s[0] + i * st[0];
            }
        });
        return r;
    }

    private static Kernel instanceNorm(BindContext b) {
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor bias = k.tensor(2);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long c = x.shape().dim(1);
            long planes = x.shape().dim(0) * c;
            long plane = x.shape().sizeBetween(2, x.rank());
            k.parallel().forRange(planes, 1, (start, end) -> {
                for (long pl = start; pl < end; pl++) {
                    long base = pl * plane;
                    double sum = 0;
                    for (long i = 0; i < plane; i++) {
                        sum += x.getDouble(base + i);
                    }
                    double mean = sum / plane;
                    double sq = 0;
                    for (long i = 0; i < plane; i++) {
                        double dv = x.getDouble(base + i) - mean;
                        sq += dv * dv;
                    }
                    double inv = 1 / Math.sqrt(sq / plane + eps);
                    double sc = scale.getDouble(pl % c);
                    double bi = bias.getDouble(pl % c);
                    for (long i = 0; i < plane; i++) {
                        y.setDouble(base + i, (x.getDouble(base + i) - mean) * inv * sc + bi);
                    }
                }
            });
        };
    }

    private static Kernel lrn(BindContext b) {
        double alpha = b.node().attrFloat("alpha", 1e-4f);
        double beta = b.node().attrFloat("beta", 0.75f);
        double bias = b.node().attrFloat("bias", 1f);
        long size = b.node().attrInt("size", 0);
        return k -> {
            if (size <= 0) {
                throw new IllegalArgumentException("LRN needs a positive 'size'");
            }
            Tensor x = k.tensor(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long n = x.shape().dim(0);
            long c = x.shape().dim(1);
            long plane = x.shape().sizeBetween(2, x.rank());
            long before = (size - 1) / 2;
            long after = size - 1 - before;
            k.parallel().forRange(n * c, 1, (start, end) -> {
                for (long nc = start; nc < end; nc++) {
                    long bn = nc / c;
                    long ch = nc % c;
                    long lo = Math.max(0, ch - before);
                    long hi = Math.min(c - 1, ch + after);
                    for (long i = 0; i < plane; i++) {
                        double sq = 0;
                        for (long cc = lo; cc <= hi; cc++) {
                            double v = x.getDouble((bn * c + cc) * plane + i);
                            sq += v * v;
                        }
                        long at = nc * plane + i;
                        y.setDouble(at, x.getDouble(at) / Math.pow(bias + alpha / size * sq, beta));
                    }
                }
            });
        };
    }
}

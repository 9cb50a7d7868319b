package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Normalizations: BatchNormalization (inference and training mode), LayerNormalization,
 * RMSNormalization, GroupNormalization, InstanceNormalization, MeanVarianceNormalization,
 * LpNormalization and LRN. Statistics are accumulated in double whatever the stash type, which
 * is at least as precise as the float32 the specification asks for.
 */
final class NormalizationKernels {
    private NormalizationKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(NormalizationKernels::batchNorm, "BatchNormalization");
        r.onnx(NormalizationKernels::layerNorm, "LayerNormalization");
        r.onnx(NormalizationKernels::instanceNorm, "InstanceNormalization");
        r.onnx(NormalizationKernels::lrn, "LRN");
        r.onnx(NormalizationKernels::rmsNorm, "RMSNormalization");
        r.onnx(NormalizationKernels::groupNorm, "GroupNormalization");
        r.onnx(NormalizationKernels::lpNorm, "LpNormalization");
        r.onnx(NormalizationKernels::meanVarianceNorm, "MeanVarianceNormalization");
    }

    private static Kernel batchNorm(BindContext b) {
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        double momentum = b.node().attrFloat("momentum", 0.9f);
        // Since opset 14 an attribute says so; before, asking for the running statistics did.
        boolean training = b.opset() >= 14 ? b.node().attrInt("training_mode", 0) != 0
                : b.opset() >= 7 && b.node().outputs().size() > 1;
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor bias = k.tensor(2);
            Tensor mean = k.tensor(3);
            Tensor var = k.tensor(4);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long n = x.shape().dim(0);
            long c = x.rank() > 1 ? x.shape().dim(1) : 1;
            long plane = x.shape().sizeBetween(2, x.rank());
            ParamIndex pi = ParamIndex.of(c, plane, scale, bias, mean, var);
            if (training) {
                trainingBatchNorm(k, x, y, scale, bias, mean, var, n, c, plane, pi, eps, momentum);
                return;
            }
            k.parallel().forRange(n * c, 1, (start, end) -> {
                for (long nc = start; nc < end; nc++) {
                    long ch = nc % c;
                    long base = nc * plane;
                    for (long i = 0; i < plane; i++) {
                        long p = pi.at(ch, i);
                        double a = scale.getDouble(p) / Math.sqrt(var.getDouble(p) + eps);
                        y.setDouble(base + i, (x.getDouble(base + i) - mean.getDouble(p)) * a + bias.getDouble(p));
                    }
                }
            });
        };
    }

    /**
     * Where a per-channel parameter is read: one value per channel, or (the non-spatial form of
     * opsets before 9) one per channel and spatial position.
     */
    private record ParamIndex(boolean perElement, long plane) {
        static ParamIndex of(long c, long plane, Tensor... params) {
            boolean perElement = params[0].size() != c && params[0].size() == c * plane;
            for (Tensor p : params) {
                if (p.size() != (perElement ? c * plane : c)) {
                    throw new IllegalArgumentException("BatchNormalization parameter " + p.shape()
                            + " does not match " + c + " channels");
                }
            }
            return new ParamIndex(perElement, plane);
        }

        long at(long ch, long i) {
            return perElement ? ch * plane + i : ch;
        }
    }

    /**
     * Training mode: normalizes with the batch statistics (population variance) and returns the
     * running statistics blended with {@code momentum}. Opsets before 14 also return the batch
     * mean and variance as outputs 3 and 4.
     */
    private static void trainingBatchNorm(KernelContext k, Tensor x, Tensor y, Tensor scale, Tensor bias,
                                          Tensor mean, Tensor var, long n, long c, long plane, ParamIndex pi,
                                          double eps, double momentum) {
        if (pi.perElement()) {
            throw new IllegalArgumentException("BatchNormalization training mode needs per-channel parameters");
        }
        double[] curMean = new double[Math.toIntExact(c)];
        double[] curVar = new double[Math.toIntExact(c)];
        double count = (double) n * plane;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (long b = 0; b < n; b++) {
                long base = (b * c + ch) * plane;
                for (long i = 0; i < plane; i++) {
                    sum += x.getDouble(base + i);
                }
            }
            double m = sum / count;
            double sq = 0;
            for (long b = 0; b < n; b++) {
                long base = (b * c + ch) * plane;
                for (long i = 0; i < plane; i++) {
                    double d = x.getDouble(base + i) - m;
                    sq += d * d;
                }
            }
            curMean[ch] = m;
            curVar[ch] = sq / count;
            double a = scale.getDouble(ch) / Math.sqrt(curVar[ch] + eps);
            for (long b = 0; b < n; b++) {
                long base = (b * c + ch) * plane;
                for (long i = 0; i < plane; i++) {
                    y.setDouble(base + i, (x.getDouble(base + i) - m) * a + bias.getDouble(ch));
                }
            }
        }
        Shape cs = Shape.of(c);
        for (int out = 1; out < Math.min(k.outputCount(), 5); out++) {
            if (!k.hasOutput(out)) {
                continue;
            }
            Tensor t = k.allocate(out, out <= 2 ? mean.dtype() : x.dtype(), cs);
            for (int ch = 0; ch < c; ch++) {
                t.setDouble(ch, switch (out) {
                    case 1 -> mean.getDouble(ch) * momentum + curMean[ch] * (1 - momentum);
                    case 2 -> var.getDouble(ch) * momentum + curVar[ch] * (1 - momentum);
                    case 3 -> curMean[ch];
                    default -> curVar[ch];
                });
            }
        }
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

    private static Kernel rmsNorm(BindContext b) {
        long axisAttr = b.node().attrInt("axis", -1);
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            int rank = x.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long outer = x.shape().sizeBetween(0, axis);
            long inner = x.shape().sizeBetween(axis, rank);
            Shape normShape = Shape.of(java.util.Arrays.copyOfRange(x.shape().dims(), axis, rank));
            long[] scaleIdx = flatIndex(Broadcast.to(normShape, scale.shape()), inner);
            Tensor y = k.allocate(0, scale.dtype(), x.shape());
            k.parallel().forRange(outer, 1, (start, end) -> {
                for (long o = start; o < end; o++) {
                    long base = o * inner;
                    double sq = 0;
                    for (long i = 0; i < inner; i++) {
                        double v = x.getDouble(base + i);
                        sq += v * v;
                    }
                    double inv = 1 / Math.sqrt(sq / inner + eps);
                    for (long i = 0; i < inner; i++) {
                        y.setDouble(base + i, x.getDouble(base + i) * inv * scale.getDouble(scaleIdx[(int) i]));
                    }
                }
            });
        };
    }

    /**
     * Statistics per sample and group of channels. Scale and bias hold one value per channel
     * (opset 21), or per group in the deprecated opset-18 form.
     */
    private static Kernel groupNorm(BindContext b) {
        long groups = b.node().attrInt("num_groups", 0);
        double eps = b.node().attrFloat("epsilon", 1e-5f);
        boolean perChannelOnly = b.opset() >= 21;
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor bias = k.tensor(2);
            if (x.rank() < 2) {
                throw new IllegalArgumentException("GroupNormalization needs (N, C, ...), got " + x.shape());
            }
            long c = x.shape().dim(1);
            if (groups <= 0 || c % groups != 0) {
                throw new IllegalArgumentException("num_groups " + groups + " does not divide " + c + " channels");
            }
            boolean perGroup = scale.size() != c;
            if (scale.size() != (perGroup ? groups : c) || bias.size() != scale.size() || perGroup && perChannelOnly) {
                throw new IllegalArgumentException("scale " + scale.shape() + " and bias " + bias.shape()
                        + " must hold one value per channel (" + c + ")");
            }
            long cg = c / groups;
            long plane = x.shape().sizeBetween(2, x.rank());
            long span = cg * plane;
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            k.parallel().forRange(x.shape().dim(0) * groups, 1, (start, end) -> {
                for (long ng = start; ng < end; ng++) {
                    long base = ng * span;
                    double sum = 0;
                    for (long i = 0; i < span; i++) {
                        sum += x.getDouble(base + i);
                    }
                    double mean = sum / span;
                    double sq = 0;
                    for (long i = 0; i < span; i++) {
                        double d = x.getDouble(base + i) - mean;
                        sq += d * d;
                    }
                    double inv = 1 / Math.sqrt(sq / span + eps);
                    long g = ng % groups;
                    for (long i = 0; i < span; i++) {
                        long p = perGroup ? g : g * cg + i / plane;
                        y.setDouble(base + i, (x.getDouble(base + i) - mean) * inv * scale.getDouble(p) + bias.getDouble(p));
                    }
                }
            });
        };
    }

    /** x divided by its L1 or L2 norm along one axis; an all-zero row stays zero. */
    private static Kernel lpNorm(BindContext b) {
        long axisAttr = b.node().attrInt("axis", -1);
        long p = b.node().attrInt("p", 2);
        return k -> {
            if (p != 1 && p != 2) {
                throw new IllegalArgumentException("LpNormalization supports p = 1 or 2, got " + p);
            }
            Tensor x = k.tensor(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            int rank = x.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long len = x.shape().dim(axis);
            long inner = x.shape().sizeBetween(axis + 1, rank);
            long outer = x.shape().sizeBetween(0, axis);
            for (long r = 0; r < outer * inner; r++) {
                long base = r / inner * len * inner + r % inner;
                double norm = 0;
                for (long i = 0; i < len; i++) {
                    double v = x.getDouble(base + i * inner);
                    norm += p == 1 ? Math.abs(v) : v * v;
                }
                norm = p == 1 ? norm : Math.sqrt(norm);
                for (long i = 0; i < len; i++) {
                    long at = base + i * inner;
                    y.setDouble(at, norm == 0 ? 0 : x.getDouble(at) / norm);
                }
            }
        };
    }

    /**
     * (x - mean) / std over {@code axes} (default 0, 2, 3). The standard deviation gets the
     * 1e-9 the specification's function body adds, so a constant slice maps to 0, not NaN.
     */
    private static Kernel meanVarianceNorm(BindContext b) {
        long[] axesAttr = b.node().attrInts("axes");
        return k -> {
            Tensor x = k.tensor(0);
            int rank = x.rank();
            int[] axes = dev.kiln.ops.Shapes.normalizeAxes(axesAttr == null ? new long[] {0, 2, 3} : axesAttr, rank);
            boolean[] reduced = new boolean[rank];
            for (int a : axes) {
                reduced[a] = true;
            }
            long[] statDims = x.shape().dims();
            for (int a : axes) {
                statDims[a] = 1;
            }
            Shape stat = Shape.of(statDims);
            long[] strides = stat.strides();
            long[] dims = x.shape().dims();
            long n = x.size();
            long[] statIndex = new long[Math.toIntExact(n)];
            long[] coord = new long[rank];
            for (long i = 0; i < n; i++) {
                long s = 0;
                for (int a = 0; a < rank; a++) {
                    if (!reduced[a]) {
                        s += coord[a] * strides[a];
                    }
                }
                statIndex[(int) i] = s;
                for (int a = rank - 1; a >= 0 && ++coord[a] == dims[a]; a--) {
                    coord[a] = 0;
                }
            }
            double[] sum = new double[Math.toIntExact(stat.size())];
            double[] sq = new double[sum.length];
            double count = (double) n / sum.length;
            for (long i = 0; i < n; i++) {
                sum[(int) statIndex[(int) i]] += x.getDouble(i);
            }
            for (long i = 0; i < n; i++) {
                int s = (int) statIndex[(int) i];
                double d = x.getDouble(i) - sum[s] / count;
                sq[s] += d * d;
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            for (long i = 0; i < n; i++) {
                int s = (int) statIndex[(int) i];
                y.setDouble(i, (x.getDouble(i) - sum[s] / count) / (Math.sqrt(sq[s] / count) + 1e-9));
            }
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

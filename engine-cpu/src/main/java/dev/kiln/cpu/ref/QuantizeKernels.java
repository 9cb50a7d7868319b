package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.MiniFloat;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Linear quantization: QuantizeLinear and DequantizeLinear (per tensor, per axis, blocked),
 * DynamicQuantizeLinear, the integer products MatMulInteger and ConvInteger, and the quantized
 * QLinearMatMul and QLinearConv. Integer sums are accumulated in double, which is exact for
 * them.
 */
final class QuantizeKernels {
    private QuantizeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(QuantizeKernels::dequantize, "DequantizeLinear");
        r.onnx(QuantizeKernels::quantize, "QuantizeLinear");
        r.onnx(b -> QuantizeKernels::dynamicQuantize, "DynamicQuantizeLinear");
        r.onnx(b -> QuantizeKernels::matMulInteger, "MatMulInteger");
        r.onnx(b -> QuantizeKernels::qLinearMatMul, "QLinearMatMul");
        r.onnx(QuantizeKernels::convInteger, "ConvInteger");
        r.onnx(QuantizeKernels::qLinearConv, "QLinearConv");
    }

    /**
     * For element {@code i} of {@code x}, the index of its scale: 0 per tensor, the coordinate
     * along {@code axis} per axis, or that coordinate divided by {@code block} when blocked.
     */
    private record ScaleIndex(long outer, long axisLen, long inner, long block, boolean perTensor) {
        static ScaleIndex of(Shape x, Tensor scale, long axisAttr, long blockSize) {
            if (scale.size() == 1 && scale.rank() <= 1 && blockSize == 0) {
                return new ScaleIndex(1, 1, 1, 1, true);
            }
            int axis = Shape.normalizeAxis(axisAttr, x.rank());
            long len = x.dim(axis);
            long inner = x.sizeBetween(axis + 1, x.rank());
            if (blockSize > 0) {
                if (scale.rank() != x.rank() || scale.shape().dim(axis) != Math.ceilDiv(len, blockSize)) {
                    throw new IllegalArgumentException("blocked scale " + scale.shape() + " does not fit input " + x
                            + " with block_size " + blockSize + " on axis " + axis);
                }
                return new ScaleIndex(x.sizeBetween(0, axis), len, inner, blockSize, false);
            }
            if (scale.rank() != 1 || scale.size() != len) {
                throw new IllegalArgumentException("per-axis scale " + scale.shape() + " does not fit input " + x
                        + " on axis " + axis);
            }
            return new ScaleIndex(1, len, inner, 1, false);
        }

        long at(long i) {
            if (perTensor) {
                return 0;
            }
            long a = (i / inner) % axisLen;
            if (block == 1 && outer == 1) {
                return a;
            }
            // Blocked: the scale has the input's shape with the axis divided into blocks.
            long o = i / (inner * axisLen);
            long blocks = Math.ceilDiv(axisLen, block);
            return (o * blocks + a / block) * inner + i % inner;
        }
    }

    private static Kernel dequantize(BindContext b) {
        long axis = b.node().attrInt("axis", 1);
        long block = b.node().attrInt("block_size", 0);
        long outputDtype = b.node().attrInt("output_dtype", 0);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor zp = k.hasInput(2) ? k.tensor(2) : null;
            DType outType = outputDtype != 0 ? DType.fromCode((int) outputDtype) : scale.dtype();
            Tensor y = k.allocate(0, outType, x.shape());
            ScaleIndex si = ScaleIndex.of(x.shape(), scale, axis, block);
            boolean intInput = x.dtype().isInteger();
            for (long i = 0; i < x.size(); i++) {
                long s = si.at(i);
                double v;
                if (intInput) {
                    v = (double) (x.getLong(i) - (zp == null ? 0 : zp.getLong(s))) * scale.getDouble(s);
                } else {
                    v = (x.getDouble(i) - (zp == null ? 0 : zp.getDouble(s))) * scale.getDouble(s);
                }
                y.setDouble(i, outType == DType.FLOAT ? (float) v : v);
            }
        };
    }

    private static Kernel quantize(BindContext b) {
        long axis = b.node().attrInt("axis", 1);
        long block = b.node().attrInt("block_size", 0);
        boolean saturate = b.node().attrInt("saturate", 1) != 0;
        long outputDtype = b.node().attrInt("output_dtype", 0);
        long precision = b.node().attrInt("precision", 0);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor zp = k.hasInput(2) ? k.tensor(2) : null;
            DType outType = zp != null ? zp.dtype() : outputDtype != 0 ? DType.fromCode((int) outputDtype) : DType.UINT8;
            Tensor y = k.allocate(0, outType, x.shape());
            ScaleIndex si = ScaleIndex.of(x.shape(), scale, axis, block);
            MiniFloat mini = miniFloat(outType);
            // The division happens in the precision type (y_scale's by default): x / scale
            // landing on .5 in float32 must round half to even from there, not from a double a
            // hair below it.
            DType div = precision != 0 ? DType.fromCode((int) precision) : scale.dtype();
            for (long i = 0; i < x.size(); i++) {
                long s = si.at(i);
                double q = roundTo(div, roundTo(div, x.getDouble(i)) / roundTo(div, scale.getDouble(s)));
                if (mini != null) {
                    double v = q + (zp == null ? 0 : zp.getDouble(s));
                    int code = mini.encode(v, saturate);
                    if (outType == DType.FLOAT4E2M1) {
                        y.setDouble(i, mini.decode(code));
                    } else {
                        y.data().set(dev.kiln.tensor.Layouts.I8, i, (byte) code);
                    }
                } else {
                    // Bounded first so that an infinite quotient saturates instead of overflowing with the zero point.
                    long v = (long) Math.max(-1e18, Math.min(1e18, Math.rint(q))) + (zp == null ? 0 : zp.getLong(s));
                    y.setLong(i, clamp(v, outType));
                }
            }
        };
    }

    /** {@code v} rounded to a floating type (unchanged for double and non-float types). */
    private static double roundTo(DType t, double v) {
        return switch (t) {
            case FLOAT -> (float) v;
            case FLOAT16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case BFLOAT16 -> Float.intBitsToFloat(Tensor.floatToBfloat16((float) v) << 16);
            default -> v;
        };
    }

    /** Saturates to the integer type's range. */
    static long clamp(long v, DType t) {
        long lo;
        long hi;
        switch (t) {
            case UINT8 -> { lo = 0; hi = 255; }
            case INT8 -> { lo = -128; hi = 127; }
            case UINT16 -> { lo = 0; hi = 65535; }
            case INT16 -> { lo = -32768; hi = 32767; }
            case INT32 -> { lo = Integer.MIN_VALUE; hi = Integer.MAX_VALUE; }
            case UINT4 -> { lo = 0; hi = 15; }
            case INT4 -> { lo = -8; hi = 7; }
            case UINT2 -> { lo = 0; hi = 3; }
            case INT2 -> { lo = -2; hi = 1; }
            default -> { return v; }
        }
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * DynamicQuantizeLinear in float arithmetic, as the specification writes it: the range always
     * includes 0, scale = range / 255, zero point and values rounded half to even.
     */
    private static void dynamicQuantize(KernelContext k) {
        Tensor x = k.tensor(0);
        float min = 0;
        float max = 0;
        for (long i = 0; i < x.size(); i++) {
            float v = (float) x.getDouble(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float scale = (max - min) / 255f;
        long zp = scale == 0 ? 0 : Math.max(0, Math.min(255, (long) Math.rint(0f - min / scale)));
        Tensor y = k.allocate(0, DType.UINT8, x.shape());
        for (long i = 0; i < x.size(); i++) {
            long q = scale == 0 ? zp : (long) Math.rint((float) x.getDouble(i) / scale) + zp;
            y.setLong(i, Math.max(0, Math.min(255, q)));
        }
        k.allocate(1, DType.FLOAT, Shape.SCALAR).setFloat(0, scale);
        k.allocate(2, DType.UINT8, Shape.SCALAR).setLong(0, zp);
    }

    /** (a - a_zero_point) x (b - b_zero_point) in int32; zero points per tensor, row of a or column of b. */
    private static void matMulInteger(KernelContext k) {
        Tensor a = k.tensor(0);
        Tensor b = k.tensor(1);
        Tensor as = shifted(a, k.hasInput(2) ? k.tensor(2) : null, null, true, "a_zero_point");
        Tensor bs = shifted(b, k.hasInput(3) ? k.tensor(3) : null, null, false, "b_zero_point");
        Tensor y = k.allocate(0, DType.INT32, matMulShape(a.shape(), b.shape()));
        matMul(k.parallel(), as, bs, y);
    }

    /**
     * Quantized matmul: the dequantized product, requantized with y_scale and y_zero_point.
     * Scales and zero points are per tensor, per row of a or per column of b.
     */
    private static void qLinearMatMul(KernelContext k) {
        Tensor a = k.tensor(0);
        Tensor b = k.tensor(3);
        Tensor as = shifted(a, k.tensor(2), k.tensor(1), true, "a_scale");
        Tensor bs = shifted(b, k.tensor(5), k.tensor(4), false, "b_scale");
        Tensor yzp = k.tensor(7);
        Tensor real = Tensor.allocate(DType.DOUBLE, matMulShape(a.shape(), b.shape()));
        matMul(k.parallel(), as, bs, real);
        requantize(real, k.tensor(6), yzp, k.allocate(0, yzp.dtype(), real.shape()));
    }

    /** Conv of (x - x_zero_point) and (w - w_zero_point), per-tensor or per-output-channel, in int32. */
    private static Kernel convInteger(BindContext b) {
        long group = b.node().attrInt("group", 1);
        long[] kernelShape = b.node().attrInts("kernel_shape");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            ConvGeometry g = ConvKernels.geometry(k.node(), x, w, group, kernelShape);
            Tensor xs = shiftedPerChannel(x, k.hasInput(2) ? k.tensor(2) : null, false, "x_zero_point");
            Tensor ws = shiftedPerChannel(w, k.hasInput(3) ? k.tensor(3) : null, true, "w_zero_point");
            Tensor y = k.allocate(0, DType.INT32, ConvKernels.outputShape(x, w, g));
            ConvKernels.convolve(k.parallel(), xs, ws, null, group, g, y);
        };
    }

    /**
     * Quantized conv: the int32 bias is in units of x_scale * w_scale, so it is added to the
     * integer sum before requantizing with y_scale and y_zero_point.
     */
    private static Kernel qLinearConv(BindContext b) {
        long group = b.node().attrInt("group", 1);
        long[] kernelShape = b.node().attrInts("kernel_shape");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(3);
            ConvGeometry g = ConvKernels.geometry(k.node(), x, w, group, kernelShape);
            Tensor xs = shiftedPerChannel(x, k.tensor(2), false, "x_zero_point");
            Tensor ws = shiftedPerChannel(w, k.tensor(5), true, "w_zero_point");
            Tensor acc = Tensor.allocate(DType.DOUBLE, ConvKernels.outputShape(x, w, g));
            ConvKernels.convolve(k.parallel(), xs, ws, k.hasInput(8) ? k.tensor(8) : null, group, g, acc);
            Tensor xScale = k.tensor(1);
            Tensor wScale = k.tensor(4);
            if (xScale.size() != 1 || wScale.size() != 1 && wScale.size() != w.shape().dim(0)) {
                throw new IllegalArgumentException("x_scale must be a scalar and w_scale a scalar or one per output channel");
            }
            long m = w.shape().dim(0);
            long plane = acc.shape().sizeBetween(2, acc.rank());
            for (long i = 0; i < acc.size(); i++) {
                long oc = i / plane % m;
                acc.setDouble(i, acc.getDouble(i) * xScale.getDouble(0) * wScale.getDouble(wScale.size() == 1 ? 0 : oc));
            }
            Tensor yzp = k.tensor(7);
            requantize(acc, k.tensor(6), yzp, k.allocate(0, yzp.dtype(), acc.shape()));
        };
    }

    /**
     * y = saturate(round(real / y_scale) + y_zero_point) with a per-tensor output scale; float8
     * outputs are encoded (saturating) instead of rounded.
     */
    private static void requantize(Tensor real, Tensor yScale, Tensor yzp, Tensor y) {
        if (yScale.size() != 1 || yzp.size() != 1) {
            throw new IllegalArgumentException("y_scale and y_zero_point must be scalars");
        }
        double s = yScale.getDouble(0);
        MiniFloat mini = miniFloat(y.dtype());
        for (long i = 0; i < real.size(); i++) {
            double q = real.getDouble(i) / s;
            if (mini != null) {
                y.data().set(dev.kiln.tensor.Layouts.I8, i, (byte) mini.encode(q + yzp.getDouble(0), true));
            } else {
                y.setLong(i, clamp((long) Math.rint(q) + yzp.getLong(0), y.dtype()));
            }
        }
    }

    private static MiniFloat miniFloat(DType t) {
        return switch (t) {
            case FLOAT8E4M3FN -> MiniFloat.E4M3FN;
            case FLOAT8E4M3FNUZ -> MiniFloat.E4M3FNUZ;
            case FLOAT8E5M2 -> MiniFloat.E5M2;
            case FLOAT8E5M2FNUZ -> MiniFloat.E5M2FNUZ;
            case FLOAT4E2M1 -> MiniFloat.E2M1;
            default -> null;
        };
    }

    /**
     * (t - zero point) * scale as doubles (scale may be null). The zero point and scale are
     * scalars, or per row of a matrix ({@code rows}: its second-to-last axis) or per column (its
     * last axis), given as a vector or in a shape broadcastable to t.
     */
    private static Tensor shifted(Tensor t, Tensor zp, Tensor scale, boolean rows, String name) {
        Tensor out = Tensor.allocate(DType.DOUBLE, t.shape());
        Shape zs = zp == null ? Shape.SCALAR : paramShape(t, zp, rows, name);
        Shape ss = scale == null ? Shape.SCALAR : paramShape(t, scale, rows, name);
        if (zp != null && scale != null && zp.size() != scale.size()) {
            throw new IllegalArgumentException(name + " and its zero point must have one shape");
        }
        Broadcast.to(t.shape(), t.shape(), zs, ss).forEachRow((o, len, st, step) -> {
            for (long i = 0; i < len; i++) {
                double z = zp == null ? 0 : zp.getDouble(st[1] + i * step[1]);
                double sc = scale == null ? 1 : scale.getDouble(st[2] + i * step[2]);
                out.setDouble(o + i, (t.getDouble(st[0] + i * step[0]) - z) * sc);
            }
        });
        return out;
    }

    private static Shape paramShape(Tensor t, Tensor p, boolean rows, String name) {
        if (p.size() == 1) {
            return Shape.SCALAR;
        }
        if (t.rank() >= 2 && p.rank() == 1) {
            long want = t.shape().dim(rows ? -2 : -1);
            if (p.size() != want) {
                throw new IllegalArgumentException(name + " " + p.shape() + " does not fit " + t.shape());
            }
            return rows ? Shape.of(want, 1) : Shape.of(want);
        }
        return p.shape();
    }

    /** (t - zero point) as doubles; the zero point is a scalar or (weights) one per output channel. */
    private static Tensor shiftedPerChannel(Tensor t, Tensor zp, boolean perChannel, String name) {
        Tensor out = Tensor.allocate(DType.DOUBLE, t.shape());
        long channels = perChannel ? t.shape().dim(0) : 1;
        if (zp != null && zp.size() != 1 && zp.size() != channels) {
            throw new IllegalArgumentException(name + " " + zp.shape() + " must be a scalar"
                    + (perChannel ? " or hold one value per output channel" : ""));
        }
        long per = t.size() / Math.max(channels, 1);
        for (long i = 0; i < t.size(); i++) {
            double z = zp == null ? 0 : zp.getDouble(zp.size() == 1 ? 0 : i / per);
            out.setDouble(i, t.getDouble(i) - z);
        }
        return out;
    }

    /** numpy.matmul's result shape (1-D operands promoted and their axis dropped again). */
    private static Shape matMulShape(Shape sa0, Shape sb0) {
        if (sa0.rank() < 1 || sb0.rank() < 1) {
            throw new IllegalArgumentException("matmul operands must not be scalars");
        }
        Shape sa = sa0.rank() == 1 ? Shape.of(1, sa0.dim(0)) : sa0;
        Shape sb = sb0.rank() == 1 ? Shape.of(sb0.dim(0), 1) : sb0;
        if (sb.dim(-2) != sa.dim(-1)) {
            throw new IllegalArgumentException("matmul inner dimensions differ: " + sa0 + " x " + sb0);
        }
        Shape batch = dev.kiln.ops.Shapes.broadcast(Shape.of(java.util.Arrays.copyOf(sa.dims(), sa.rank() - 2)),
                Shape.of(java.util.Arrays.copyOf(sb.dims(), sb.rank() - 2)));
        long[] out = new long[batch.rank() + (sa0.rank() == 1 ? 0 : 1) + (sb0.rank() == 1 ? 0 : 1)];
        System.arraycopy(batch.dims(), 0, out, 0, batch.rank());
        int j = batch.rank();
        if (sa0.rank() != 1) {
            out[j++] = sa.dim(-2);
        }
        if (sb0.rank() != 1) {
            out[j] = sb.dim(-1);
        }
        return Shape.of(out);
    }

    /** y = a x b with numpy.matmul broadcasting, accumulated in double. */
    private static void matMul(dev.kiln.backend.Parallel par, Tensor a, Tensor b, Tensor y) {
        Shape sa = a.rank() == 1 ? Shape.of(1, a.shape().dim(0)) : a.shape();
        Shape sb = b.rank() == 1 ? Shape.of(b.shape().dim(0), 1) : b.shape();
        long m = sa.dim(-2);
        long kk = sa.dim(-1);
        long n = sb.dim(-1);
        Shape batchA = Shape.of(java.util.Arrays.copyOf(sa.dims(), sa.rank() - 2));
        Shape batchB = Shape.of(java.util.Arrays.copyOf(sb.dims(), sb.rank() - 2));
        Shape batch = dev.kiln.ops.Shapes.broadcast(batchA, batchB);
        long[] offA = new long[(int) batch.size()];
        long[] offB = new long[(int) batch.size()];
        Broadcast.to(batch, batchA, batchB).forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                offA[(int) (o + i)] = (s[0] + i * st[0]) * m * kk;
                offB[(int) (o + i)] = (s[1] + i * st[1]) * kk * n;
            }
        });
        par.forRange(batch.size() * m, 1, (start, end) -> {
            for (long r = start; r < end; r++) {
                int bi = (int) (r / m);
                long i = r % m;
                for (long c = 0; c < n; c++) {
                    double acc = 0;
                    for (long p = 0; p < kk; p++) {
                        acc += a.getDouble(offA[bi] + i * kk + p) * b.getDouble(offB[bi] + p * n + c);
                    }
                    y.setDouble(r * n + c, acc);
                }
            }
        });
    }
}

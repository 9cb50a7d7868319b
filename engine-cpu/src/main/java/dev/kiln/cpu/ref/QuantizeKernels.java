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
 * DynamicQuantizeLinear, and the integer product MatMulInteger.
 */
final class QuantizeKernels {
    private QuantizeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(QuantizeKernels::dequantize, "DequantizeLinear");
        r.onnx(QuantizeKernels::quantize, "QuantizeLinear");
        r.onnx(b -> QuantizeKernels::dynamicQuantize, "DynamicQuantizeLinear");
        r.onnx(b -> QuantizeKernels::matMulInteger, "MatMulInteger");
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
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor zp = k.hasInput(2) ? k.tensor(2) : null;
            DType outType = zp != null ? zp.dtype() : outputDtype != 0 ? DType.fromCode((int) outputDtype) : DType.UINT8;
            Tensor y = k.allocate(0, outType, x.shape());
            ScaleIndex si = ScaleIndex.of(x.shape(), scale, axis, block);
            MiniFloat mini = switch (outType) {
                case FLOAT8E4M3FN -> MiniFloat.E4M3FN;
                case FLOAT8E4M3FNUZ -> MiniFloat.E4M3FNUZ;
                case FLOAT8E5M2 -> MiniFloat.E5M2;
                case FLOAT8E5M2FNUZ -> MiniFloat.E5M2FNUZ;
                case FLOAT4E2M1 -> MiniFloat.E2M1;
                default -> null;
            };
            for (long i = 0; i < x.size(); i++) {
                long s = si.at(i);
                double q = x.getDouble(i) / scale.getDouble(s);
                if (mini != null) {
                    double v = q + (zp == null ? 0 : zp.getDouble(s));
                    int code = mini.encode(v, saturate);
                    if (outType == DType.FLOAT4E2M1) {
                        y.setDouble(i, mini.decode(code));
                    } else {
                        y.data().set(dev.kiln.tensor.Layouts.I8, i, (byte) code);
                    }
                } else {
                    long v = (long) Math.rint(q) + (zp == null ? 0 : zp.getLong(s));
                    y.setLong(i, clamp(v, outType));
                }
            }
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

    private static void matMulInteger(KernelContext k) {
        Tensor a = k.tensor(0);
        Tensor b = k.tensor(1);
        Tensor azp = k.hasInput(2) ? k.tensor(2) : null;
        Tensor bzp = k.hasInput(3) ? k.tensor(3) : null;
        if (a.rank() < 1 || b.rank() < 1) {
            throw new IllegalArgumentException("MatMulInteger inputs must not be scalars");
        }
        Shape sa = a.rank() == 1 ? Shape.of(1, a.shape().dim(0)) : a.shape();
        Shape sb = b.rank() == 1 ? Shape.of(b.shape().dim(0), 1) : b.shape();
        long m = sa.dim(-2);
        long kk = sa.dim(-1);
        long n = sb.dim(-1);
        if (sb.dim(-2) != kk) {
            throw new IllegalArgumentException("MatMulInteger inner dimensions differ: " + a.shape() + " x " + b.shape());
        }
        Shape batchA = Shape.of(java.util.Arrays.copyOf(sa.dims(), sa.rank() - 2));
        Shape batchB = Shape.of(java.util.Arrays.copyOf(sb.dims(), sb.rank() - 2));
        Shape batch = dev.kiln.ops.Shapes.broadcast(batchA, batchB);
        long[] out = new long[batch.rank() + (a.rank() == 1 ? 0 : 1) + (b.rank() == 1 ? 0 : 1)];
        System.arraycopy(batch.dims(), 0, out, 0, batch.rank());
        int j = batch.rank();
        if (a.rank() != 1) {
            out[j++] = m;
        }
        if (b.rank() != 1) {
            out[j] = n;
        }
        Tensor y = k.allocate(0, DType.INT32, Shape.of(out));
        long[] offA = new long[(int) batch.size()];
        long[] offB = new long[(int) batch.size()];
        Broadcast.to(batch, batchA, batchB).forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                offA[(int) (o + i)] = (s[0] + i * st[0]) * m * kk;
                offB[(int) (o + i)] = (s[1] + i * st[1]) * kk * n;
            }
        });
        k.parallel().forRange(batch.size() * m, 1, (start, end) -> {
            for (long r = start; r < end; r++) {
                int bi = (int) (r / m);
                long i = r % m;
                long za = azp == null ? 0 : azp.size() == 1 ? azp.getLong(0) : azp.getLong(i);
                for (long c = 0; c < n; c++) {
                    long zb = bzp == null ? 0 : bzp.size() == 1 ? bzp.getLong(0) : bzp.getLong(c);
                    long acc = 0;
                    for (long p = 0; p < kk; p++) {
                        acc += (a.getLong(offA[bi] + i * kk + p) - za) * (b.getLong(offB[bi] + p * n + c) - zb);
                    }
                    y.setLong(r * n + c, acc);
                }
            }
        });
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Pooling: MaxPool (with indices), AveragePool, LpPool, their global forms, and MaxUnpool. */
final class PoolKernels {
    private PoolKernels() {
    }

    private enum Kind { MAX, AVERAGE, LP }

    static void register(KernelRegistry r) {
        r.onnx(b -> pool(b, Kind.MAX), "MaxPool");
        r.onnx(b -> pool(b, Kind.AVERAGE), "AveragePool");
        r.onnx(b -> pool(b, Kind.LP), "LpPool");
        r.onnx(b -> global(Kind.AVERAGE, 2), "GlobalAveragePool");
        r.onnx(b -> global(Kind.MAX, 2), "GlobalMaxPool");
        r.onnx(b -> global(Kind.LP, b.node().attrInt("p", 2)), "GlobalLpPool");
        r.onnx(PoolKernels::maxUnpool, "MaxUnpool");
    }

    private static Kernel pool(BindContext b, Kind kind) {
        long[] kernel = b.node().attrInts("kernel_shape");
        boolean includePad = b.node().attrInt("count_include_pad", 0) != 0;
        long p = b.node().attrInt("p", 2);
        boolean columnMajor = b.node().attrInt("storage_order", 0) != 0;
        return k -> {
            if (kernel == null) {
                throw new IllegalArgumentException(k.node().opType() + " needs kernel_shape");
            }
            Tensor x = k.tensor(0);
            int rank = x.rank();
            if (rank < 3 || kernel.length != rank - 2) {
                throw new IllegalArgumentException(k.node().opType() + " input " + x.shape()
                        + " does not match kernel_shape of " + kernel.length + " axes");
            }
            long[] inSp = java.util.Arrays.copyOfRange(x.shape().dims(), 2, rank);
            ConvGeometry g = ConvGeometry.of(k.node(), inSp, kernel, true);
            long[] outDims = x.shape().dims();
            System.arraycopy(g.outSpatial(), 0, outDims, 2, rank - 2);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            Tensor idx = kind == Kind.MAX && k.hasOutput(1) ? k.allocate(1, DType.INT64, Shape.of(outDims)) : null;
            long planes = x.shape().dim(0) * x.shape().dim(1);
            k.parallel().forRange(planes, 1, (start, end) -> {
                for (long pl = start; pl < end; pl++) {
                    poolPlane(x, y, idx, pl, g, kind, includePad, p, columnMajor);
                }
            });
        };
    }

    private static void poolPlane(Tensor x, Tensor y, Tensor idx, long plane, ConvGeometry g, Kind kind,
                                  boolean includePad, long p, boolean columnMajor) {
        long[] in = g.in();
        long[] out = g.out();
        long[] ker = g.kernel();
        long[] s = g.stride();
        long[] d = g.dilation();
        long[] pb = g.padBegin();
        long[] pe = g.padEnd();
        long xBase = plane * g.inPlane();
        long yBase = plane * g.outPlane();
        for (long od = 0; od < out[0]; od++) {
            for (long oh = 0; oh < out[1]; oh++) {
                for (long ow = 0; ow < out[2]; ow++) {
                    double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
                    long best = -1;
                    long count = 0;
                    long padded = 0;
                    for (long kd = 0; kd < ker[0]; kd++) {
                        long id = od * s[0] + kd * d[0] - pb[0];
                        for (long kh = 0; kh < ker[1]; kh++) {
                            long ih = oh * s[1] + kh * d[1] - pb[1];
                            for (long kw = 0; kw < ker[2]; kw++) {
                                long iw = ow * s[2] + kw * d[2] - pb[2];
                                boolean inPadded = id >= -pb[0] && id < in[0] + pe[0] && ih >= -pb[1]
                                        && ih < in[1] + pe[1] && iw >= -pb[2] && iw < in[2] + pe[2];
                                if (inPadded) {
                                    padded++;
                                }
                                if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) {
                                    continue;
                                }
                                long xi = (id * in[1] + ih) * in[2] + iw;
                                double v = x.getDouble(xBase + xi);
                                count++;
                                switch (kind) {
                                    case MAX -> {
                                        if (v > acc || best < 0 && Double.isNaN(v)) {
                                            acc = v;
                                            best = xi;
                                        }
                                    }
                                    case AVERAGE -> acc += v;
                                    case LP -> acc += Math.pow(Math.abs(v), p);
                                }
                            }
                        }
                    }
                    long yi = yBase + (od * out[1] + oh) * out[2] + ow;
                    double r = switch (kind) {
                        case MAX -> acc;
                        case AVERAGE -> acc / (includePad ? padded : count);
                        case LP -> Math.pow(acc, 1.0 / p);
                    };
                    y.setDouble(yi, r);
                    if (idx != null) {
                        idx.setLong(yi, flatIndex(best, plane, g, columnMajor));
                    }
                }
            }
        }
    }

    /** The MaxPool index of an input element: over the whole input, row- or column-major. */
    private static long flatIndex(long inPlaneIndex, long plane, ConvGeometry g, boolean columnMajor) {
        if (!columnMajor) {
            return plane * g.inPlane() + inPlaneIndex;
        }
        long[] in = g.in();
        long w = inPlaneIndex % in[2];
        long h = (inPlaneIndex / in[2]) % in[1];
        return plane * g.inPlane() + w * in[1] + h;
    }

    private static Kernel global(Kind kind, long p) {
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() < 2) {
                throw new IllegalArgumentException(k.node().opType() + " needs rank >= 2, got " + x.shape());
            }
            long[] outDims = x.shape().dims();
            for (int i = 2; i < outDims.length; i++) {
                outDims[i] = 1;
            }
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            long planes = x.shape().dim(0) * x.shape().dim(1);
            long size = x.shape().sizeBetween(2, x.rank());
            globalPlanes(k, x, y, planes, size, kind, p);
        };
    }

    private static void globalPlanes(KernelContext k, Tensor x, Tensor y, long planes, long size, Kind kind, long p) {
        boolean f32 = x.dtype() == DType.FLOAT;
        k.parallel().forRange(planes, 1, (start, end) -> {
            for (long pl = start; pl < end; pl++) {
                long base = pl * size;
                double acc = kind == Kind.MAX ? Double.NEGATIVE_INFINITY : 0;
                for (long i = 0; i < size; i++) {
                    double v = f32 ? x.getFloat(base + i) : x.getDouble(base + i);
                    switch (kind) {
                        case MAX -> acc = Double.isNaN(v) || v > acc ? v : acc;
                        case AVERAGE -> acc += v;
                        case LP -> acc += Math.pow(Math.abs(v), p);
                    }
                }
                y.setDouble(pl, switch (kind) {
                    case MAX -> acc;
                    case AVERAGE -> acc / size;
                    case LP -> Math.pow(acc, 1.0 / p);
                });
            }
        });
    }

    /**
     * Scatters each value to the position its index names in a zero output. Indices are flat
     * positions in the shape the pooling window arithmetic inverts to; an explicit
     * {@code output_shape} may be larger, and then keeps those coordinates (the extra
     * elements go at the end of each axis).
     */
    private static Kernel maxUnpool(BindContext b) {
        long[] kernel = b.node().attrInts("kernel_shape");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor idx = k.tensor(1);
            int rank = x.rank();
            int n = rank - 2;
            if (kernel == null || n < 1 || kernel.length != n || !idx.shape().equals(x.shape())) {
                throw new IllegalArgumentException("MaxUnpool needs X and I of one shape with kernel_shape for each of"
                        + " its spatial axes, got " + x.shape() + " and " + idx.shape());
            }
            long[] strides = ConvGeometry.orOnes(k.node().attrInts("strides"), n);
            long[] pads = k.node().attrInts("pads");
            long[] inferred = x.shape().dims();
            for (int i = 0; i < n; i++) {
                long pb = pads == null ? 0 : pads[i];
                long pe = pads == null ? 0 : pads[i + n];
                inferred[i + 2] = (x.shape().dim(i + 2) - 1) * strides[i] + kernel[i] - pb - pe;
            }
            long[] outDims = k.hasInput(2) ? k.tensor(2).toLongArray() : inferred;
            if (outDims.length != rank || outDims[0] != inferred[0] || outDims[1] != inferred[1]) {
                throw new IllegalArgumentException("output_shape " + java.util.Arrays.toString(outDims)
                        + " does not fit X " + x.shape());
            }
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            for (long i = 0; i < y.size(); i++) {
                y.setDouble(i, 0);
            }
            long[] from = Shape.of(inferred).strides();
            long[] to = y.shape().strides();
            long total = Shape.of(inferred).size();
            for (long i = 0; i < x.size(); i++) {
                long at = idx.getLong(i);
                if (at < 0 || at >= total) {
                    throw new IllegalArgumentException("index " + at + " is outside the unpooled " + Shape.of(inferred));
                }
                long dst = 0;
                for (int a = 0; a < rank; a++) {
                    long coord = at / from[a] % inferred[a];
                    if (coord >= outDims[a]) {
                        throw new IllegalArgumentException("index " + at + " falls outside output_shape "
                                + java.util.Arrays.toString(outDims));
                    }
                    dst += coord * to[a];
                }
                y.setDouble(dst, x.getDouble(i));
            }
        };
    }
}

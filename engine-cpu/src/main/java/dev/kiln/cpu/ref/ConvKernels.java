package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Conv and ConvTranspose over 1 to 3 spatial axes, with groups, dilations, strides, pads and
 * auto_pad. Written as a weight-stationary direct loop: for each weight, a run of outputs along
 * the innermost axis is updated, with the in-bounds range computed once instead of tested per
 * element.
 */
final class ConvKernels {
    private ConvKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ConvKernels::conv, "Conv");
        r.onnx(ConvKernels::convTranspose, "ConvTranspose");
    }

    private static Kernel conv(BindContext b) {
        long group = b.node().attrInt("group", 1);
        long[] kernelShape = b.node().attrInts("kernel_shape");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor bias = k.hasInput(2) ? k.tensor(2) : null;
            int rank = x.rank();
            if (rank < 3 || w.rank() != rank) {
                throw new IllegalArgumentException("Conv needs X and W of equal rank >= 3, got " + x.shape() + " and " + w.shape());
            }
            long batch = x.shape().dim(0);
            long c = x.shape().dim(1);
            long m = w.shape().dim(0);
            if (group <= 0 || c % group != 0 || m % group != 0 || w.shape().dim(1) != c / group) {
                throw new IllegalArgumentException("Conv channels do not match: X " + x.shape() + ", W " + w.shape()
                        + ", group " + group);
            }
            long[] inSp = java.util.Arrays.copyOfRange(x.shape().dims(), 2, rank);
            long[] kSp = kernelShape != null ? kernelShape : java.util.Arrays.copyOfRange(w.shape().dims(), 2, rank);
            ConvGeometry g = ConvGeometry.of(k.node(), inSp, kSp, false);
            long[] outDims = new long[rank];
            outDims[0] = batch;
            outDims[1] = m;
            System.arraycopy(g.outSpatial(), 0, outDims, 2, rank - 2);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            long cg = c / group;
            long mg = m / group;
            k.parallel().forRange(batch * m, 1, (start, end) -> {
                for (long nm = start; nm < end; nm++) {
                    long n = nm / m;
                    long oc = nm % m;
                    long gi = oc / mg;
                    long yBase = nm * g.outPlane();
                    double bv = bias == null ? 0 : bias.getDouble(oc);
                    for (long o = 0; o < g.outPlane(); o++) {
                        y.setDouble(yBase + o, bv);
                    }
                    for (long ic = 0; ic < cg; ic++) {
                        long xBase = (n * c + gi * cg + ic) * g.inPlane();
                        long wBase = (oc * cg + ic) * g.kernelPlane();
                        accumulate(x, xBase, w, wBase, y, yBase, g);
                    }
                }
            });
        };
    }

    /** y[yBase + out] += sum over the window of w * x, for one input and one output channel. */
    static void accumulate(Tensor x, long xBase, Tensor w, long wBase, Tensor y, long yBase, ConvGeometry g) {
        boolean f32 = x.dtype() == DType.FLOAT && w.dtype() == DType.FLOAT;
        long[] in = g.in();
        long[] out = g.out();
        long[] ker = g.kernel();
        long[] s = g.stride();
        long[] d = g.dilation();
        long[] pb = g.padBegin();
        for (long kd = 0; kd < ker[0]; kd++) {
            for (long kh = 0; kh < ker[1]; kh++) {
                for (long kw = 0; kw < ker[2]; kw++) {
                    long wi = wBase + (kd * ker[1] + kh) * ker[2] + kw;
                    double wv = f32 ? w.getFloat(wi) : w.getDouble(wi);
                    if (wv == 0) {
                        continue;
                    }
                    // Outputs along the last axis whose input lies inside [0, in).
                    long offW = kw * d[2] - pb[2];
                    long owLo = offW >= 0 ? 0 : Math.ceilDiv(-offW, s[2]);
                    long owHi = Math.min(out[2], Math.floorDiv(in[2] - 1 - offW, s[2]) + 1);
                    if (owLo >= owHi) {
                        continue;
                    }
                    for (long od = 0; od < out[0]; od++) {
                        long id = od * s[0] + kd * d[0] - pb[0];
                        if (id < 0 || id >= in[0]) {
                            continue;
                        }
                        for (long oh = 0; oh < out[1]; oh++) {
                            long ih = oh * s[1] + kh * d[1] - pb[1];
                            if (ih < 0 || ih >= in[1]) {
                                continue;
                            }
                            long yRow = yBase + (od * out[1] + oh) * out[2];
                            long xRow = xBase + (id * in[1] + ih) * in[2] + offW;
                            if (f32) {
                                float fw = (float) wv;
                                for (long ow = owLo; ow < owHi; ow++) {
                                    y.setFloat(yRow + ow, y.getFloat(yRow + ow) + fw * x.getFloat(xRow + ow * s[2]));
                                }
                            } else {
                                for (long ow = owLo; ow < owHi; ow++) {
                                    y.setDouble(yRow + ow, y.getDouble(yRow + ow) + wv * x.getDouble(xRow + ow * s[2]));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static Kernel convTranspose(BindContext b) {
        long group = b.node().attrInt("group", 1);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor bias = k.hasInput(2) ? k.tensor(2) : null;
            int rank = x.rank();
            if (rank < 3 || w.rank() != rank) {
                throw new IllegalArgumentException("ConvTranspose needs X and W of equal rank >= 3");
            }
            int n = rank - 2;
            long batch = x.shape().dim(0);
            long c = x.shape().dim(1);
            if (group <= 0 || c % group != 0 || w.shape().dim(0) != c) {
                throw new IllegalArgumentException("ConvTranspose channels do not match: X " + x.shape() + ", W " + w.shape());
            }
            long mg = w.shape().dim(1);
            long m = mg * group;
            long cg = c / group;
            long[] inSp = java.util.Arrays.copyOfRange(x.shape().dims(), 2, rank);
            long[] kSp = k.node().attrInts("kernel_shape");
            if (kSp == null) {
                kSp = java.util.Arrays.copyOfRange(w.shape().dims(), 2, rank);
            }
            long[] strides = ConvGeometry.orOnes(k.node().attrInts("strides"), n);
            long[] dil = ConvGeometry.orOnes(k.node().attrInts("dilations"), n);
            long[] outPad = k.node().attrInts("output_padding");
            long[] outShape = k.node().attrInts("output_shape");
            long[] pads = k.node().attrInts("pads");
            String autoPad = k.node().attrString("auto_pad", "NOTSET");
            long[] pb = new long[n];
            long[] outSp = new long[n];
            for (int i = 0; i < n; i++) {
                long op = outPad == null ? 0 : outPad[i];
                long full = strides[i] * (inSp[i] - 1) + op + (kSp[i] - 1) * dil[i] + 1;
                if (outShape != null || autoPad.startsWith("SAME")) {
                    long target = outShape != null ? outShape[outShape.length - n + i] : inSp[i] * strides[i];
                    long total = full - target;
                    if (autoPad.equals("SAME_UPPER")) {
                        pb[i] = total / 2;
                    } else {
                        pb[i] = total - total / 2;
                    }
                    outSp[i] = target;
                } else {
                    long begin = pads == null ? 0 : pads[i];
                    long end = pads == null ? 0 : pads[i + n];
                    pb[i] = begin;
                    outSp[i] = full - begin - end;
                }
            }
            long[] outDims = new long[rank];
            outDims[0] = batch;
            outDims[1] = m;
            System.arraycopy(outSp, 0, outDims, 2, n);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            long[] in3 = ConvGeometry.pad3(inSp, 1);
            long[] out3 = ConvGeometry.pad3(outSp, 1);
            long[] k3 = ConvGeometry.pad3(kSp, 1);
            long[] s3 = ConvGeometry.pad3(strides, 1);
            long[] d3 = ConvGeometry.pad3(dil, 1);
            long[] p3 = ConvGeometry.pad3(pb, 0);
            long inPlane = in3[0] * in3[1] * in3[2];
            long outPlane = out3[0] * out3[1] * out3[2];
            long kPlane = k3[0] * k3[1] * k3[2];
            k.parallel().forRange(batch * m, 1, (start, end) -> {
                for (long nm = start; nm < end; nm++) {
                    long bn = nm / m;
                    long oc = nm % m;
                    long gi = oc / mg;
                    long ocg = oc % mg;
                    long yBase = nm * outPlane;
                    double bv = bias == null ? 0 : bias.getDouble(oc);
                    for (long o = 0; o < outPlane; o++) {
                        y.setDouble(yBase + o, bv);
                    }
                    for (long ic = 0; ic < cg; ic++) {
                        long ch = gi * cg + ic;
                        long xBase = (bn * c + ch) * inPlane;
                        long wBase = (ch * mg + ocg) * kPlane;
                        scatter(x, xBase, w, wBase, y, yBase, in3, out3, k3, s3, d3, p3);
                    }
                }
            });
        };
    }

    private static void scatter(Tensor x, long xBase, Tensor w, long wBase, Tensor y, long yBase,
                                long[] in, long[] out, long[] ker, long[] s, long[] d, long[] p) {
        for (long kd = 0; kd < ker[0]; kd++) {
            for (long kh = 0; kh < ker[1]; kh++) {
                for (long kw = 0; kw < ker[2]; kw++) {
                    double wv = w.getDouble(wBase + (kd * ker[1] + kh) * ker[2] + kw);
                    if (wv == 0) {
                        continue;
                    }
                    for (long id = 0; id < in[0]; id++) {
                        long od = id * s[0] + kd * d[0] - p[0];
                        if (od < 0 || od >= out[0]) {
                            continue;
                        }
                        for (long ih = 0; ih < in[1]; ih++) {
                            long oh = ih * s[1] + kh * d[1] - p[1];
                            if (oh < 0 || oh >= out[1]) {
                                continue;
                            }
                            for (long iw = 0; iw < in[2]; iw++) {
                                long ow = iw * s[2] + kw * d[2] - p[2];
                                if (ow < 0 || ow >= out[2]) {
                                    continue;
                                }
                                long yi = yBase + (od * out[1] + oh) * out[2] + ow;
                                y.setDouble(yi, y.getDouble(yi) + wv * x.getDouble(xBase + (id * in[1] + ih) * in[2] + iw));
                            }
                        }
                    }
                }
            }
        }
    }
}

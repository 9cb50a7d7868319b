package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Conv and ConvTranspose over 1 to 3 spatial axes, with groups, dilations, strides, pads and
 * auto_pad; DeformConv and Col2Im over any number of spatial axes. Written as a weight-stationary direct loop: for each weight, a run of outputs along
 * the innermost axis is updated, with the in-bounds range computed once instead of tested per
 * element.
 */
final class ConvKernels {
    private ConvKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ConvKernels::conv, "Conv");
        r.onnx(ConvKernels::convTranspose, "ConvTranspose");
        r.onnx(ConvKernels::deformConv, "DeformConv");
        r.onnx(b -> ConvKernels::col2im, "Col2Im");
    }

    private static Kernel conv(BindContext b) {
        long group = b.node().attrInt("group", 1);
        long[] kernelShape = b.node().attrInts("kernel_shape");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            ConvGeometry g = geometry(k.node(), x, w, group, kernelShape);
            Tensor y = k.allocate(0, x.dtype(), outputShape(x, w, g));
            Tensor acc = wideAccumulator(y);
            convolve(k.parallel(), x, w, k.hasInput(2) ? k.tensor(2) : null, group, g, acc);
            narrow(acc, y);
        };
    }

    /**
     * Where sums of a 16-bit (or narrower) float output accumulate: a double tensor, so the
     * output is rounded once rather than after every tap. Float and double outputs accumulate
     * in place.
     */
    static Tensor wideAccumulator(Tensor y) {
        return y.dtype() == DType.FLOAT || y.dtype() == DType.DOUBLE ? y : Tensor.allocate(DType.DOUBLE, y.shape());
    }

    /** Copies a wide accumulator into the output (nothing when they are the same tensor). */
    static void narrow(Tensor acc, Tensor y) {
        if (acc != y) {
            for (long i = 0; i < y.size(); i++) {
                y.setDouble(i, acc.getDouble(i));
            }
        }
    }

    /** The window geometry of a Conv-like node, after checking that X, W and group agree. */
    static ConvGeometry geometry(dev.kiln.graph.Node node, Tensor x, Tensor w, long group, long[] kernelShape) {
        int rank = x.rank();
        if (rank < 3 || w.rank() != rank) {
            throw new IllegalArgumentException(node.opType() + " needs X and W of equal rank >= 3, got " + x.shape()
                    + " and " + w.shape());
        }
        long c = x.shape().dim(1);
        long m = w.shape().dim(0);
        if (group <= 0 || c % group != 0 || m % group != 0 || w.shape().dim(1) != c / group) {
            throw new IllegalArgumentException(node.opType() + " channels do not match: X " + x.shape() + ", W "
                    + w.shape() + ", group " + group);
        }
        long[] inSp = java.util.Arrays.copyOfRange(x.shape().dims(), 2, rank);
        long[] kSp = kernelShape != null ? kernelShape : java.util.Arrays.copyOfRange(w.shape().dims(), 2, rank);
        return ConvGeometry.of(node, inSp, kSp, false);
    }

    /** (N, M, spatial out...) for X (N, C, ...) and W (M, C/group, ...). */
    static Shape outputShape(Tensor x, Tensor w, ConvGeometry g) {
        long[] outDims = new long[x.rank()];
        outDims[0] = x.shape().dim(0);
        outDims[1] = w.shape().dim(0);
        System.arraycopy(g.outSpatial(), 0, outDims, 2, x.rank() - 2);
        return Shape.of(outDims);
    }

    /**
     * y = conv(x, w) + bias, for any element types readable as doubles (integer sums stay
     * exact below 2^53). Padding reads as zero.
     */
    static void convolve(dev.kiln.backend.Parallel par, Tensor x, Tensor w, Tensor bias, long group, ConvGeometry g,
                         Tensor y) {
        long batch = x.shape().dim(0);
        long c = x.shape().dim(1);
        long m = w.shape().dim(0);
        long cg = c / group;
        long mg = m / group;
        par.forRange(batch * m, 1, (start, end) -> {
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
                    pb[i] = ConvGeometry.transposeBeginPad(full - target, autoPad);
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
            Tensor out = k.allocate(0, x.dtype(), Shape.of(outDims));
            Tensor y = wideAccumulator(out);
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
            narrow(y, out);
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

    /**
     * Convolution whose kernel taps are displaced by learned offsets (per offset group, tap and
     * output position, in axis order) and optionally scaled by a mask; displaced taps read the
     * input by N-linear interpolation, zero outside it.
     */
    private static Kernel deformConv(BindContext b) {
        long group = b.node().attrInt("group", 1);
        long offsetGroups = b.node().attrInt("offset_group", 1);
        long[] kernelAttr = b.node().attrInts("kernel_shape");
        return k -> {
            Tensor x = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor offset = k.tensor(2);
            Tensor bias = k.hasInput(3) ? k.tensor(3) : null;
            Tensor mask = k.hasInput(4) ? k.tensor(4) : null;
            int rank = x.rank();
            int n = rank - 2;
            if (n < 1 || w.rank() != rank) {
                throw new IllegalArgumentException("DeformConv needs X and W of equal rank >= 3, got " + x.shape()
                        + " and " + w.shape());
            }
            long batch = x.shape().dim(0);
            long c = x.shape().dim(1);
            long m = w.shape().dim(0);
            if (group <= 0 || offsetGroups <= 0 || c % group != 0 || m % group != 0 || c % offsetGroups != 0
                    || w.shape().dim(1) != c / group) {
                throw new IllegalArgumentException("DeformConv channels do not match: X " + x.shape() + ", W " + w.shape()
                        + ", group " + group + ", offset_group " + offsetGroups);
            }
            long[] in = java.util.Arrays.copyOfRange(x.shape().dims(), 2, rank);
            long[] ker = kernelAttr != null ? kernelAttr : java.util.Arrays.copyOfRange(w.shape().dims(), 2, rank);
            long[] strides = ConvGeometry.orOnes(k.node().attrInts("strides"), n);
            long[] dil = ConvGeometry.orOnes(k.node().attrInts("dilations"), n);
            long[] pads = k.node().attrInts("pads");
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                long pb = pads == null ? 0 : pads[i];
                long pe = pads == null ? 0 : pads[i + n];
                out[i] = dev.kiln.ops.Shapes.windowOutput(in[i], ker[i], strides[i], dil[i], pb, pe, false);
            }
            long taps = Shape.of(ker).size();
            long outPlane = Shape.of(out).size();
            long[] offDims = new long[rank];
            offDims[0] = batch;
            offDims[1] = offsetGroups * taps * n;
            System.arraycopy(out, 0, offDims, 2, n);
            if (!offset.shape().equals(Shape.of(offDims))) {
                throw new IllegalArgumentException("offset " + offset.shape() + " should be " + Shape.of(offDims));
            }
            offDims[1] = offsetGroups * taps;
            if (mask != null && !mask.shape().equals(Shape.of(offDims))) {
                throw new IllegalArgumentException("mask " + mask.shape() + " should be " + Shape.of(offDims));
            }
            long[] outDims = new long[rank];
            outDims[0] = batch;
            outDims[1] = m;
            System.arraycopy(out, 0, outDims, 2, n);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            long cg = c / group;
            long mg = m / group;
            long cPerOffset = c / offsetGroups;
            long inPlane = Shape.of(in).size();
            long[] inStrides = Shape.of(in).strides();
            long[] outStrides = Shape.of(out).strides();
            long[] kStrides = Shape.of(ker).strides();
            k.parallel().forRange(batch * outPlane, 1, (start, end) -> {
                double[] pos = new double[n];
                double[] sampled = new double[Math.toIntExact(c * taps)];
                for (long bo = start; bo < end; bo++) {
                    long bi = bo / outPlane;
                    long o = bo % outPlane;
                    // Sample every input channel at every displaced tap once, then contract with W.
                    for (long ch = 0; ch < c; ch++) {
                        long og = ch / cPerOffset;
                        for (long t = 0; t < taps; t++) {
                            for (int a = 0; a < n; a++) {
                                long oa = o / outStrides[a] % out[a];
                                long ka = t / kStrides[a] % ker[a];
                                long pb = pads == null ? 0 : pads[a];
                                long offCh = (og * taps + t) * n + a;
                                pos[a] = oa * strides[a] - pb + ka * dil[a]
                                        + offset.getDouble((bi * offsetGroups * taps * n + offCh) * outPlane + o);
                            }
                            double v = SamplingKernels.linearZeros(x, (bi * c + ch) * inPlane, in, inStrides, pos);
                            if (mask != null) {
                                v *= mask.getDouble((bi * offsetGroups * taps + og * taps + t) * outPlane + o);
                            }
                            sampled[(int) (ch * taps + t)] = v;
                        }
                    }
                    for (long oc = 0; oc < m; oc++) {
                        long gi = oc / mg;
                        double acc = bias == null ? 0 : bias.getDouble(oc);
                        for (long ic = 0; ic < cg; ic++) {
                            long ch = gi * cg + ic;
                            long wBase = (oc * cg + ic) * taps;
                            for (long t = 0; t < taps; t++) {
                                acc += w.getDouble(wBase + t) * sampled[(int) (ch * taps + t)];
                            }
                        }
                        y.setDouble((bi * m + oc) * outPlane + o, acc);
                    }
                }
            });
        };
    }

    /**
     * The inverse of im2col: input column (channel, block tap) of block l is added into the
     * image at block position l (blocks in row-major order over the sliding grid) plus the tap.
     */
    private static void col2im(KernelContext k) {
        Tensor x = k.tensor(0);
        long[] image = k.tensor(1).toLongArray();
        long[] block = k.tensor(2).toLongArray();
        int n = image.length;
        if (block.length != n || x.rank() != 3) {
            throw new IllegalArgumentException("Col2Im needs a 3-D input and image_shape and block_shape of one length, got "
                    + x.shape() + ", " + image.length + " and " + block.length);
        }
        long[] strides = ConvGeometry.orOnes(k.node().attrInts("strides"), n);
        long[] dil = ConvGeometry.orOnes(k.node().attrInts("dilations"), n);
        long[] pads = k.node().attrInts("pads");
        long[] grid = new long[n];
        for (int i = 0; i < n; i++) {
            long pb = pads == null ? 0 : pads[i];
            long pe = pads == null ? 0 : pads[i + n];
            grid[i] = dev.kiln.ops.Shapes.windowOutput(image[i], block[i], strides[i], dil[i], pb, pe, false);
        }
        long taps = Shape.of(block).size();
        long blocks = Shape.of(grid).size();
        long batch = x.shape().dim(0);
        if (x.shape().dim(1) % taps != 0 || x.shape().dim(2) != blocks) {
            throw new IllegalArgumentException("input " + x.shape() + " does not hold " + blocks + " blocks of "
                    + taps + " taps per channel");
        }
        long c = x.shape().dim(1) / taps;
        long[] outDims = new long[n + 2];
        outDims[0] = batch;
        outDims[1] = c;
        System.arraycopy(image, 0, outDims, 2, n);
        Tensor out = k.allocate(0, x.dtype(), Shape.of(outDims));
        Tensor y = wideAccumulator(out);
        long plane = Shape.of(image).size();
        for (long i = 0; i < y.size(); i++) {
            y.setDouble(i, 0);
        }
        long[] gridStrides = Shape.of(grid).strides();
        long[] blockStrides = Shape.of(block).strides();
        long[] imageStrides = Shape.of(image).strides();
        for (long bi = 0; bi < batch; bi++) {
            for (long ch = 0; ch < c; ch++) {
                for (long t = 0; t < taps; t++) {
                    for (long l = 0; l < blocks; l++) {
                        long at = 0;
                        boolean inside = true;
                        for (int a = 0; a < n && inside; a++) {
                            long pb = pads == null ? 0 : pads[a];
                            long p = l / gridStrides[a] % grid[a] * strides[a] - pb + t / blockStrides[a] % block[a] * dil[a];
                            inside = p >= 0 && p < image[a];
                            at += p * imageStrides[a];
                        }
                        if (inside) {
                            long yi = (bi * c + ch) * plane + at;
                            y.setDouble(yi, y.getDouble(yi) + x.getDouble(((bi * c + ch) * taps + t) * blocks + l));
                        }
                    }
                }
            }
        }
        narrow(y, out);
    }
}

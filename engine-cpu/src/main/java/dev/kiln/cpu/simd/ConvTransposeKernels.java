package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.ConvGeometry;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Float32 2-D ConvTranspose with constant weights and one group, as a matrix product and a
 * scatter: {@code cols = W^T x X} ((M kH kW) x (H W), weights packed once) through
 * {@link Sgemm}, then each column value is added at its output position (column-to-image), on
 * top of the bias. The output size follows the operator's rules: pads, output_padding,
 * output_shape and auto_pad, as in the reference kernel.
 */
final class ConvTransposeKernels {
    private ConvTransposeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ConvTransposeKernels::bind, "ConvTranspose");
    }

    private static Kernel bind(BindContext b) {
        Tensor w = b.constantInput(1);
        boolean hasBias = b.inputCount() > 2 && !b.node().input(2).isEmpty();
        Tensor bias = hasBias ? b.constantInput(2) : null;
        if (!Float32.inputs(b, 0, 1, 2) || w == null || w.rank() != 4 || hasBias && bias == null
                || b.node().attrInt("group", 1) != 1) {
            return null;
        }
        int c = Math.toIntExact(w.shape().dim(0));
        int m = Math.toIntExact(w.shape().dim(1));
        int kh = Math.toIntExact(w.shape().dim(2));
        int kw = Math.toIntExact(w.shape().dim(3));
        long[] ks = b.node().attrInts("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            return null;
        }
        int rows = m * kh * kw;
        // W is C x (M kH kW): the left operand is its transpose, read with swapped strides.
        LeftOperand packed = LeftOperand.prepacked(MatrixOperands.left(w.data(), 0, rows, c, 1, rows));
        float[] biasValues = bias == null ? null : Float32.array(bias);
        if (packed == null || biasValues != null && biasValues.length != m) {
            return null;
        }
        return k -> run(k, packed, c, m, kh, kw, biasValues);
    }

    private static void run(KernelContext k, LeftOperand w, int c, int m, int kh, int kw, float[] bias) {
        Tensor x = k.tensor(0);
        Float32.require(x, "ConvTranspose input X");
        if (x.rank() != 4 || x.shape().dim(1) != c) {
            throw new IllegalArgumentException("ConvTranspose input " + x.shape() + " does not match weights with " + c
                    + " channels");
        }
        int h = Math.toIntExact(x.shape().dim(2));
        int wd = Math.toIntExact(x.shape().dim(3));
        long[] s = orOnes(k.node().attrInts("strides"));
        long[] d = orOnes(k.node().attrInts("dilations"));
        long[] outPad = k.node().attrInts("output_padding");
        long[] outShape = k.node().attrInts("output_shape");
        long[] pads = k.node().attrInts("pads");
        String autoPad = k.node().attrString("auto_pad", "NOTSET");
        long[] in = {h, wd};
        long[] kern = {kh, kw};
        long[] pb = new long[2];
        long[] out = new long[2];
        for (int i = 0; i < 2; i++) {
            long op = outPad == null ? 0 : outPad[i];
            long full = s[i] * (in[i] - 1) + op + (kern[i] - 1) * d[i] + 1;
            if (outShape != null || autoPad.startsWith("SAME")) {
                long target = outShape != null ? outShape[outShape.length - 2 + i] : in[i] * s[i];
                pb[i] = ConvGeometry.transposeBeginPad(full - target, autoPad);
                out[i] = target;
            } else {
                pb[i] = pads == null ? 0 : pads[i];
                out[i] = full - pb[i] - (pads == null ? 0 : pads[i + 2]);
            }
        }
        int batch = Math.toIntExact(x.shape().dim(0));
        int oh = Math.toIntExact(out[0]);
        int ow = Math.toIntExact(out[1]);
        Tensor y = k.allocate(0, x.dtype(), Shape.of(batch, m, oh, ow));
        int plane = h * wd;
        int rows = m * kh * kw;
        MemorySegment cols = k.scratch((long) rows * plane * 4);
        for (int n = 0; n < batch; n++) {
            RightOperand xs = MatrixOperands.right(x.data(), (long) n * c * plane, c, plane, plane, 1);
            Sgemm.multiply(k.parallel(), w, xs, cols, 0, plane, Epilogue.NONE, null, 0);
            long yImage = (long) n * m * oh * ow;
            MemorySegment ys = y.data();
            k.parallel().forRange(m, 1, (s0, e0) -> {
                for (long mm = s0; mm < e0; mm++) {
                    long yPlane = yImage + mm * oh * ow;
                    float bv = bias == null ? 0f : bias[(int) mm];
                    for (long i = 0; i < (long) oh * ow; i++) {
                        ys.setAtIndex(Layouts.F32, yPlane + i, bv);
                    }
                    for (int a = 0; a < kh; a++) {
                        for (int b = 0; b < kw; b++) {
                            long row = ((mm * kh + a) * kw + b) * plane;
                            for (int ih = 0; ih < h; ih++) {
                                long oy = ih * s[0] - pb[0] + a * d[0];
                                if (oy < 0 || oy >= oh) {
                                    continue;
                                }
                                for (int iw = 0; iw < wd; iw++) {
                                    long ox = iw * s[1] - pb[1] + b * d[1];
                                    if (ox >= 0 && ox < ow) {
                                        long at = yPlane + oy * ow + ox;
                                        ys.setAtIndex(Layouts.F32, at, ys.getAtIndex(Layouts.F32, at)
                                                + cols.getAtIndex(Layouts.F32, row + (long) ih * wd + iw));
                                    }
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    private static long[] orOnes(long[] v) {
        return v != null ? v : new long[] {1, 1};
    }
}

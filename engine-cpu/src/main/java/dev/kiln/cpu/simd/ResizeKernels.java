package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Float32 Resize (opset 11 and later) in the case feature-pyramid decoders use: nearest mode,
 * {@code asymmetric} coordinates, {@code floor} rounding, scales {@code [1, 1, s, s']} with
 * whole {@code s, s'} (and no sizes). Then output pixel {@code (oh, ow)} is input pixel
 * {@code (oh / s, ow / s')} exactly, so each input row is widened once and copied to its
 * {@code s} output rows. Every other call goes to the reference kernel.
 */
final class ResizeKernels {
    private ResizeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ResizeKernels::resize, "Resize");
    }

    private static Kernel resize(BindContext b) {
        if (b.opset() < 11 || !Float32.inputs(b, 0) || b.node().attribute("axes") != null
                || !b.node().attrString("mode", "nearest").equals("nearest")
                || !b.node().attrString("coordinate_transformation_mode", "half_pixel").equals("asymmetric")
                || !b.node().attrString("nearest_mode", "round_prefer_floor").equals("floor")) {
            return null;
        }
        Kernel reference = Reference.kernel(b);
        return k -> {
            int[] factors = factors(k);
            if (factors == null) {
                reference.run(k);
            } else {
                upsample(k, factors[0], factors[1]);
            }
        };
    }

    /** The whole height and width factors of this call, or null when it is not that case. */
    private static int[] factors(KernelContext k) {
        Tensor x = k.tensor(0);
        if (x.rank() != 4 || x.dtype() != dev.kiln.tensor.DType.FLOAT || !k.hasInput(2)
                || k.hasInput(3) && k.tensor(3).size() != 0) {
            return null;
        }
        Tensor scales = k.tensor(2);
        if (scales.size() != 4) {
            return null;
        }
        double[] s = scales.toDoubleArray();
        if (s[0] != 1 || s[1] != 1) {
            return null;
        }
        int[] r = new int[2];
        for (int i = 0; i < 2; i++) {
            double v = s[2 + i];
            if (!(v >= 1 && v <= 64) || v != Math.rint(v)) {
                return null;
            }
            r[i] = (int) v;
        }
        return r;
    }

    private static void upsample(KernelContext k, int sh, int sw) {
        Tensor x = k.tensor(0);
        long[] d = x.shape().dims();
        int h = Math.toIntExact(d[2]);
        int w = Math.toIntExact(d[3]);
        int outW = Math.multiplyExact(w, sw);
        long planes = d[0] * d[1];
        Tensor y = k.allocate(0, x.dtype(), Shape.of(d[0], d[1], (long) h * sh, outW));
        MemorySegment xs = x.data();
        MemorySegment ys = y.data();
        long inPlane = (long) h * w;
        long outPlane = inPlane * sh * sw;
        k.parallel().forRange(planes, Math.max(1, (1 << 16) / Math.max(1, outPlane)), (s, e) -> {
            float[] in = new float[w];
            float[] out = new float[outW];
            for (long p = s; p < e; p++) {
                for (int ih = 0; ih < h; ih++) {
                    MemorySegment.copy(xs, Layouts.F32, (p * inPlane + (long) ih * w) * 4, in, 0, w);
                    for (int ow = 0; ow < outW; ow++) {
                        out[ow] = in[ow / sw];
                    }
                    long row = p * outPlane + (long) ih * sh * outW;
                    for (int r = 0; r < sh; r++) {
                        MemorySegment.copy(out, 0, ys, Layouts.F32, (row + (long) r * outW) * 4, outW);
                    }
                }
            }
        });
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Resize (every mode, coordinate transformation and nearest mode, antialiasing, axes and
 * aspect-ratio policies) and the older Upsample. Interpolation is separable: for each axis and
 * output coordinate the input positions and weights are computed once, and each output element
 * is the weighted sum over their cartesian product.
 */
final class ResizeKernels {
    private ResizeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ResizeKernels::resize, "Resize");
        r.onnx(ResizeKernels::upsample, "Upsample");
    }

    /** The settings of one Resize node. */
    private record Params(String mode, String transform, String nearestMode, double cubicA, boolean excludeOutside,
                          double extrapolation, boolean antialias, long[] axes, String aspectPolicy) { }

    private static Kernel resize(BindContext b) {
        boolean v10 = b.opset() < 11;
        Params p = new Params(
                b.node().attrString("mode", "nearest"),
                v10 ? "asymmetric" : b.node().attrString("coordinate_transformation_mode", "half_pixel"),
                v10 ? "floor" : b.node().attrString("nearest_mode", "round_prefer_floor"),
                b.node().attrFloat("cubic_coeff_a", -0.75f),
                b.node().attrInt("exclude_outside", 0) != 0,
                b.node().attrFloat("extrapolation_value", 0f),
                b.node().attrInt("antialias", 0) != 0,
                b.node().attrInts("axes"),
                b.node().attrString("keep_aspect_ratio_policy", "stretch"));
        return k -> {
            Tensor x = k.tensor(0);
            Tensor roi = !v10 && k.hasInput(1) ? k.tensor(1) : null;
            Tensor scales = k.hasInput(v10 ? 1 : 2) ? k.tensor(v10 ? 1 : 2) : null;
            Tensor sizes = !v10 && k.hasInput(3) ? k.tensor(3) : null;
            run(k, x, roi, scales == null || scales.size() == 0 ? null : scales.toDoubleArray(),
                    sizes == null || sizes.size() == 0 ? null : sizes.toLongArray(), p);
        };
    }

    private static Kernel upsample(BindContext b) {
        String mode = b.node().attrString("mode", "nearest");
        float[] attrScales = b.node().attrFloats("scales");
        Params p = new Params(mode.equals("bilinear") ? "linear" : mode, "asymmetric", "floor", -0.75, false, 0,
                false, null, "stretch");
        return k -> {
            Tensor x = k.tensor(0);
            double[] scales;
            if (k.hasInput(1)) {
                scales = k.tensor(1).toDoubleArray();
            } else if (attrScales != null) {
                scales = new double[attrScales.length];
                for (int i = 0; i < scales.length; i++) {
                    scales[i] = attrScales[i];
                }
            } else {
                throw new IllegalArgumentException("Upsample needs scales");
            }
            run(k, x, null, scales, null, p);
        };
    }

    private static void run(KernelContext k, Tensor x, Tensor roiT, double[] scalesIn, long[] sizesIn, Params p) {
        int rank = x.rank();
        int[] axes = new int[p.axes == null ? rank : p.axes.length];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = p.axes == null ? i : Shape.normalizeAxis(p.axes[i], rank);
        }
        double[] scale = new double[rank];
        double[] roiStart = new double[rank];
        double[] roiEnd = new double[rank];
        java.util.Arrays.fill(scale, 1);
        java.util.Arrays.fill(roiEnd, 1);
        if (roiT != null && roiT.size() > 0 && p.transform.equals("tf_crop_and_resize")) {
            if (roiT.size() != 2L * axes.length) {
                throw new IllegalArgumentException("roi holds " + roiT.size() + " values for " + axes.length + " axes");
            }
            for (int i = 0; i < axes.length; i++) {
                roiStart[axes[i]] = roiT.getDouble(i);
                roiEnd[axes[i]] = roiT.getDouble(i + axes.length);
            }
        }
        long[] in = x.shape().dims();
        long[] out = in.clone();
        if (sizesIn != null) {
            if (sizesIn.length != axes.length) {
                throw new IllegalArgumentException("sizes holds " + sizesIn.length + " values for " + axes.length + " axes");
            }
            if (p.aspectPolicy.equals("stretch")) {
                for (int i = 0; i < axes.length; i++) {
                    out[axes[i]] = sizesIn[i];
                    scale[axes[i]] = (double) sizesIn[i] / in[axes[i]];
                }
            } else {
                boolean notLarger = p.aspectPolicy.equals("not_larger");
                double s = notLarger ? Double.MAX_VALUE : 0;
                for (int i = 0; i < axes.length; i++) {
                    double r = (double) sizesIn[i] / in[axes[i]];
                    s = notLarger ? Math.min(s, r) : Math.max(s, r);
                }
                for (int axis : axes) {
                    out[axis] = (long) Math.floor(s * in[axis] + 0.5);
                    scale[axis] = s;
                }
            }
        } else if (scalesIn != null) {
            if (scalesIn.length != axes.length) {
                throw new IllegalArgumentException("scales holds " + scalesIn.length + " values for " + axes.length + " axes");
            }
            for (int i = 0; i < axes.length; i++) {
                int a = axes[i];
                if (scalesIn[i] <= 0) {
                    throw new IllegalArgumentException("scales must be positive");
                }
                scale[a] = scalesIn[i];
                out[a] = (long) Math.floor(in[a] * (roiEnd[a] - roiStart[a]) * scalesIn[i]);
            }
        } else {
            throw new IllegalArgumentException("Resize needs scales or sizes");
        }
        Tensor y = k.allocate(0, x.dtype(), Shape.of(out));
        if (y.size() == 0) {
            return;
        }
        List<List<double[]>> taps = new ArrayList<>();
        List<boolean[]> outsideByAxis = new ArrayList<>();
        for (int a = 0; a < rank; a++) {
            List<double[]> axisTaps = new ArrayList<>();
            boolean[] outs = new boolean[(int) out[a]];
            for (long o = 0; o < out[a]; o++) {
                double xo = original(o, in[a], out[a], scale[a], roiStart[a], roiEnd[a], p.transform);
                if (p.transform.equals("tf_crop_and_resize") && (xo < 0 || xo > in[a] - 1)) {
                    outs[(int) o] = true;
                }
                axisTaps.add(in[a] == out[a] && scale[a] == 1 && !p.transform.equals("tf_crop_and_resize")
                        ? new double[] {o, 1} : weights(xo, in[a], scale[a], p));
            }
            taps.add(axisTaps);
            outsideByAxis.add(outs);
        }
        long[] inStrides = x.shape().strides();
        long[] idx = new long[rank];
        long total = y.size();
        for (long o = 0; o < total; o++) {
            boolean extrapolate = false;
            for (int a = 0; a < rank; a++) {
                extrapolate |= outsideByAxis.get(a)[(int) idx[a]];
            }
            double v = extrapolate ? p.extrapolation : gather(x, taps, idx, inStrides, 0, 0, 1.0);
            y.setDouble(o, v);
            for (int a = rank - 1; a >= 0; a--) {
                if (++idx[a] < out[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
    }

    /** Sum over the cartesian product of the per-axis taps (index, weight pairs, flattened). */
    private static double gather(Tensor x, List<List<double[]>> taps, long[] idx, long[] strides, int axis, long base,
                                 double w) {
        if (axis == idx.length) {
            return w * x.getDouble(base);
        }
        double[] t = taps.get(axis).get((int) idx[axis]);
        double sum = 0;
        for (int i = 0; i < t.length; i += 2) {
            if (t[i + 1] != 0) {
                sum += gather(x, taps, idx, strides, axis + 1, base + (long) t[i] * strides[axis], w * t[i + 1]);
            }
        }
        return sum;
    }

    private static double original(long xr, long lenIn, long lenOut, double scale, double roiStart, double roiEnd,
                                   String transform) {
        return switch (transform) {
            case "half_pixel" -> (xr + 0.5) / scale - 0.5;
            case "half_pixel_symmetric" -> {
                double outWidth = lenIn * scale;
                double adjustment = lenOut / outWidth;
                double center = lenIn / 2.0;
                double offset = center * (1 - adjustment);
                yield offset + (xr + 0.5) / scale - 0.5;
            }
            case "pytorch_half_pixel" -> lenOut > 1 ? (xr + 0.5) / scale - 0.5 : 0;
            case "align_corners" -> {
                // The resized length is lenIn * scale, fractional when it comes from a scale.
                double resized = lenIn * scale;
                yield resized == 1 ? 0 : xr * (lenIn - 1) / (resized - 1);
            }
            case "asymmetric" -> xr / scale;
            case "tf_half_pixel_for_nearest" -> (xr + 0.5) / scale;
            case "tf_crop_and_resize" -> lenOut > 1
                    ? roiStart * (lenIn - 1) + xr * (roiEnd - roiStart) * (lenIn - 1) / (lenOut - 1)
                    : 0.5 * (roiStart + roiEnd) * (lenIn - 1);
            default -> throw new IllegalArgumentException("unknown coordinate_transformation_mode '" + transform + "'");
        };
    }

    /** Taps for one output coordinate: flattened (input index, weight) pairs. */
    private static double[] weights(double xo, long len, double scale, Params p) {
        switch (p.mode) {
            case "nearest" -> {
                long i = switch (p.nearestMode) {
                    case "round_prefer_floor" -> xo == Math.floor(xo) + 0.5 ? (long) Math.floor(xo) : Math.round(xo);
                    case "round_prefer_ceil" -> (long) Math.floor(xo + 0.5);
                    case "floor" -> (long) Math.floor(xo);
                    case "ceil" -> (long) Math.ceil(xo);
                    default -> throw new IllegalArgumentException("unknown nearest_mode '" + p.nearestMode + "'");
                };
                return new double[] {Math.max(0, Math.min(len - 1, i)), 1};
            }
            case "linear", "cubic" -> {
                boolean cubic = p.mode.equals("cubic");
                double support = cubic ? 2 : 1;
                double stretch = p.antialias && scale < 1 ? 1 / scale : 1;
                double radius = support * stretch;
                long lo = (long) Math.floor(xo - radius) + 1;
                long hi = (long) Math.ceil(xo + radius) - 1;
                if (!p.antialias || scale >= 1) {
                    lo = (long) Math.floor(xo) - (cubic ? 1 : 0);
                    hi = (long) Math.floor(xo) + (cubic ? 2 : 1);
                }
                List<double[]> pairs = new ArrayList<>();
                double sum = 0;
                for (long j = lo; j <= hi; j++) {
                    double d = Math.abs(j - xo) / stretch;
                    double w = cubic ? cubic(d, p.cubicA) : Math.max(0, 1 - d);
                    if (j < 0 || j >= len) {
                        if (p.excludeOutside) {
                            continue;
                        }
                    }
                    pairs.add(new double[] {Math.max(0, Math.min(len - 1, j)), w});
                    sum += w;
                }
                double[] r = new double[pairs.size() * 2];
                boolean normalize = p.excludeOutside || (p.antialias && scale < 1);
                for (int i = 0; i < pairs.size(); i++) {
                    r[2 * i] = pairs.get(i)[0];
                    r[2 * i + 1] = normalize && sum != 0 ? pairs.get(i)[1] / sum : pairs.get(i)[1];
                }
                return r;
            }
            default -> throw new IllegalArgumentException("unknown Resize mode '" + p.mode + "'");
        }
    }

    private static double cubic(double d, double a) {
        if (d <= 1) {
            return ((a + 2) * d - (a + 3)) * d * d + 1;
        }
        if (d < 2) {
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        }
        return 0;
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Object-detection operators: RoiAlign, MaxRoiPool and NonMaxSuppression. */
final class DetectionKernels {
    private DetectionKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(DetectionKernels::roiAlign, "RoiAlign");
        r.onnx(DetectionKernels::maxRoiPool, "MaxRoiPool");
        r.onnx(DetectionKernels::nonMaxSuppression, "NonMaxSuppression");
    }

    /**
     * Each bin of each region averages (or takes the maximum of) a grid of bilinearly
     * interpolated samples. With {@code half_pixel} (the default since opset 16) region
     * coordinates are shifted by half a pixel; with {@code output_half_pixel} they are not, and
     * regions are at least one pixel wide.
     */
    private static Kernel roiAlign(BindContext b) {
        String transform = b.node().attrString("coordinate_transformation_mode",
                b.opset() >= 16 ? "half_pixel" : "output_half_pixel");
        if (!transform.equals("half_pixel") && !transform.equals("output_half_pixel")) {
            throw new IllegalArgumentException("unknown coordinate_transformation_mode '" + transform + "'");
        }
        boolean halfPixel = transform.equals("half_pixel");
        String modeName = b.node().attrString("mode", "avg");
        if (!modeName.equals("avg") && !modeName.equals("max")) {
            throw new IllegalArgumentException("unknown RoiAlign mode '" + modeName + "'");
        }
        boolean max = modeName.equals("max");
        long outH = b.node().attrInt("output_height", 1);
        long outW = b.node().attrInt("output_width", 1);
        long ratio = b.node().attrInt("sampling_ratio", 0);
        double scale = b.node().attrFloat("spatial_scale", 1f);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor rois = k.tensor(1);
            Tensor batchIdx = k.tensor(2);
            if (x.rank() != 4 || rois.rank() != 2 || rois.shape().dim(1) != 4
                    || !batchIdx.shape().equals(Shape.of(rois.shape().dim(0)))) {
                throw new IllegalArgumentException("RoiAlign needs X (N, C, H, W), rois (R, 4) and batch_indices (R), got "
                        + x.shape() + ", " + rois.shape() + ", " + batchIdx.shape());
            }
            long c = x.shape().dim(1);
            long h = x.shape().dim(2);
            long w = x.shape().dim(3);
            long nr = rois.shape().dim(0);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(nr, c, outH, outW));
            double offset = halfPixel ? 0.5 : 0;
            k.parallel().forRange(nr, 1, (start, end) -> {
                for (long r = start; r < end; r++) {
                    long bi = batchIdx.getLong(r);
                    if (bi < 0 || bi >= x.shape().dim(0)) {
                        throw new IllegalArgumentException("batch index " + bi + " of region " + r + " is out of range");
                    }
                    double x0 = rois.getDouble(r * 4) * scale - offset;
                    double y0 = rois.getDouble(r * 4 + 1) * scale - offset;
                    double x1 = rois.getDouble(r * 4 + 2) * scale - offset;
                    double y1 = rois.getDouble(r * 4 + 3) * scale - offset;
                    double rw = x1 - x0;
                    double rh = y1 - y0;
                    if (!halfPixel) {
                        rw = Math.max(rw, 1);
                        rh = Math.max(rh, 1);
                    }
                    double binH = rh / outH;
                    double binW = rw / outW;
                    long gridH = ratio > 0 ? ratio : (long) Math.ceil(rh / outH);
                    long gridW = ratio > 0 ? ratio : (long) Math.ceil(rw / outW);
                    long count = Math.max(gridH * gridW, 1);
                    for (long ch = 0; ch < c; ch++) {
                        long base = (bi * c + ch) * h * w;
                        for (long ph = 0; ph < outH; ph++) {
                            for (long pw = 0; pw < outW; pw++) {
                                double acc = max ? Double.NEGATIVE_INFINITY : 0;
                                for (long iy = 0; iy < gridH; iy++) {
                                    double sy = y0 + ph * binH + (iy + 0.5) * binH / gridH;
                                    for (long ix = 0; ix < gridW; ix++) {
                                        double sx = x0 + pw * binW + (ix + 0.5) * binW / gridW;
                                        double v = bilinear(x, base, h, w, sy, sx, max);
                                        acc = max ? Math.max(acc, v) : acc + v;
                                    }
                                }
                                double out = max ? (gridH * gridW == 0 ? 0 : acc) : acc / count;
                                y.setDouble(((r * c + ch) * outH + ph) * outW + pw, out);
                            }
                        }
                    }
                }
            });
        };
    }

    /**
     * A RoiAlign sample: zero more than one pixel outside the map, else clamped to the map and
     * interpolated. In max mode the sample is the largest of the four weighted neighbours (not
     * their sum): the value the ONNX backend tests expect.
     */
    private static double bilinear(Tensor x, long base, long h, long w, double y, double xx, boolean maxMode) {
        if (y < -1 || y > h || xx < -1 || xx > w) {
            return 0;
        }
        y = Math.max(y, 0);
        xx = Math.max(xx, 0);
        long yl = (long) y;
        long xl = (long) xx;
        long yh;
        long xh;
        if (yl >= h - 1) {
            yl = h - 1;
            yh = yl;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= w - 1) {
            xl = w - 1;
            xh = xl;
            xx = xl;
        } else {
            xh = xl + 1;
        }
        double ly = y - yl;
        double lx = xx - xl;
        double hy = 1 - ly;
        double hx = 1 - lx;
        double v1 = hy * hx * x.getDouble(base + yl * w + xl);
        double v2 = hy * lx * x.getDouble(base + yl * w + xh);
        double v3 = ly * hx * x.getDouble(base + yh * w + xl);
        double v4 = ly * lx * x.getDouble(base + yh * w + xh);
        return maxMode ? Math.max(Math.max(v1, v2), Math.max(v3, v4)) : v1 + v2 + v3 + v4;
    }

    /**
     * Region corners are rounded to pixels (inclusive); each bin takes the maximum over its
     * pixels, or 0 when it holds none.
     */
    private static Kernel maxRoiPool(BindContext b) {
        long[] pooled = b.node().attrInts("pooled_shape");
        double scale = b.node().attrFloat("spatial_scale", 1f);
        if (pooled == null || pooled.length != 2 || pooled[0] <= 0 || pooled[1] <= 0) {
            throw new IllegalArgumentException("MaxRoiPool needs a positive two-element pooled_shape");
        }
        return k -> {
            Tensor x = k.tensor(0);
            Tensor rois = k.tensor(1);
            if (x.rank() != 4 || rois.rank() != 2 || rois.shape().dim(1) != 5) {
                throw new IllegalArgumentException("MaxRoiPool needs X (N, C, H, W) and rois (R, 5), got " + x.shape()
                        + ", " + rois.shape());
            }
            long c = x.shape().dim(1);
            long h = x.shape().dim(2);
            long w = x.shape().dim(3);
            long nr = rois.shape().dim(0);
            long ph = pooled[0];
            long pw = pooled[1];
            Tensor y = k.allocate(0, x.dtype(), Shape.of(nr, c, ph, pw));
            for (long r = 0; r < nr; r++) {
                long bi = (long) rois.getDouble(r * 5);
                if (bi < 0 || bi >= x.shape().dim(0)) {
                    throw new IllegalArgumentException("batch index " + bi + " of region " + r + " is out of range");
                }
                long sw = Math.round(rois.getDouble(r * 5 + 1) * scale);
                long sh = Math.round(rois.getDouble(r * 5 + 2) * scale);
                long ew = Math.round(rois.getDouble(r * 5 + 3) * scale);
                long eh = Math.round(rois.getDouble(r * 5 + 4) * scale);
                double binH = (double) Math.max(eh - sh + 1, 1) / ph;
                double binW = (double) Math.max(ew - sw + 1, 1) / pw;
                for (long ch = 0; ch < c; ch++) {
                    long base = (bi * c + ch) * h * w;
                    for (long i = 0; i < ph; i++) {
                        long hs = clamp((long) Math.floor(i * binH) + sh, h);
                        long he = clamp((long) Math.ceil((i + 1) * binH) + sh, h);
                        for (long j = 0; j < pw; j++) {
                            long ws = clamp((long) Math.floor(j * binW) + sw, w);
                            long we = clamp((long) Math.ceil((j + 1) * binW) + sw, w);
                            double m = hs >= he || ws >= we ? 0 : Double.NEGATIVE_INFINITY;
                            for (long yy = hs; yy < he; yy++) {
                                for (long xx = ws; xx < we; xx++) {
                                    m = Math.max(m, x.getDouble(base + yy * w + xx));
                                }
                            }
                            y.setDouble(((r * c + ch) * ph + i) * pw + j, m);
                        }
                    }
                }
            }
        };
    }

    private static long clamp(long v, long size) {
        return Math.min(Math.max(v, 0), size);
    }

    /**
     * Per batch and class: boxes scoring at least the threshold, best first (ties by index),
     * each kept unless its IoU with a kept box exceeds the IoU threshold, up to the limit.
     */
    private static Kernel nonMaxSuppression(BindContext b) {
        boolean center = b.node().attrInt("center_point_box", 0) != 0;
        return k -> {
            Tensor boxes = k.tensor(0);
            Tensor scores = k.tensor(1);
            long limit = k.hasInput(2) && k.tensor(2).size() > 0 ? k.tensor(2).getLong(0) : 0;
            double iouMax = k.hasInput(3) && k.tensor(3).size() > 0 ? k.tensor(3).getDouble(0) : 0;
            Double scoreMin = k.hasInput(4) && k.tensor(4).size() > 0 ? k.tensor(4).getDouble(0) : null;
            if (boxes.rank() != 3 || boxes.shape().dim(2) != 4 || scores.rank() != 3
                    || scores.shape().dim(0) != boxes.shape().dim(0) || scores.shape().dim(2) != boxes.shape().dim(1)) {
                throw new IllegalArgumentException("boxes " + boxes.shape() + " and scores " + scores.shape()
                        + " must be (B, N, 4) and (B, C, N)");
            }
            long batches = boxes.shape().dim(0);
            long classes = scores.shape().dim(1);
            int n = Math.toIntExact(boxes.shape().dim(1));
            List<long[]> selected = new ArrayList<>();
            for (long bi = 0; bi < batches; bi++) {
                double[][] box = new double[n][];
                for (int i = 0; i < n; i++) {
                    box[i] = corners(boxes, (bi * n + i) * 4, center);
                }
                for (long ci = 0; ci < classes && limit > 0; ci++) {
                    long sBase = (bi * classes + ci) * n;
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        double s = scores.getDouble(sBase + i);
                        if (scoreMin == null || s >= scoreMin) {
                            order.add(i);
                        }
                    }
                    order.sort(Comparator.comparingDouble((Integer i) -> -scores.getDouble(sBase + i))
                            .thenComparingInt(i -> i));
                    List<Integer> kept = new ArrayList<>();
                    for (int i : order) {
                        if (kept.size() >= limit) {
                            break;
                        }
                        boolean keep = true;
                        for (int j : kept) {
                            if (iou(box[i], box[j]) > iouMax) {
                                keep = false;
                                break;
                            }
                        }
                        if (keep) {
                            kept.add(i);
                            selected.add(new long[] {bi, ci, i});
                        }
                    }
                }
            }
            Tensor y = k.allocate(0, DType.INT64, Shape.of(selected.size(), 3));
            for (int i = 0; i < selected.size(); i++) {
                for (int j = 0; j < 3; j++) {
                    y.setLong(i * 3L + j, selected.get(i)[j]);
                }
            }
        };
    }

    /** (ymin, xmin, ymax, xmax) of a box given as two corners or as centre and size. */
    private static double[] corners(Tensor boxes, long at, boolean center) {
        double a = boxes.getDouble(at);
        double b = boxes.getDouble(at + 1);
        double c = boxes.getDouble(at + 2);
        double d = boxes.getDouble(at + 3);
        if (center) {
            return new double[] {b - d / 2, a - c / 2, b + d / 2, a + c / 2};
        }
        return new double[] {Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)};
    }

    private static double iou(double[] p, double[] q) {
        double ih = Math.min(p[2], q[2]) - Math.max(p[0], q[0]);
        double iw = Math.min(p[3], q[3]) - Math.max(p[1], q[1]);
        if (ih <= 0 || iw <= 0) {
            return 0;
        }
        double inter = ih * iw;
        double union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}

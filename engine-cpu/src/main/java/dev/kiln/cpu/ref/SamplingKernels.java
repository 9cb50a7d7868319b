package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Sampling by normalized coordinates: GridSample (nearest, N-linear and N-cubic over any number
 * of spatial axes, with zeros, border and reflection padding) and AffineGrid, which makes the
 * grids GridSample reads.
 */
final class SamplingKernels {
    private SamplingKernels() {
    }

    private enum Mode { NEAREST, LINEAR, CUBIC }

    private enum Padding { ZEROS, BORDER, REFLECTION }

    /** The cubic convolution constant GridSample uses. */
    private static final double CUBIC_A = -0.75;

    static void register(KernelRegistry r) {
        r.onnx(SamplingKernels::gridSample, "GridSample");
        r.onnx(SamplingKernels::affineGrid, "AffineGrid");
    }

    private static Kernel gridSample(BindContext b) {
        boolean alignCorners = b.node().attrInt("align_corners", 0) != 0;
        String modeName = b.node().attrString("mode", b.opset() >= 20 ? "linear" : "bilinear");
        Mode mode = switch (modeName) {
            case "nearest" -> Mode.NEAREST;
            case "linear", "bilinear" -> Mode.LINEAR;
            case "cubic", "bicubic" -> Mode.CUBIC;
            default -> throw new IllegalArgumentException("unknown GridSample mode '" + modeName + "'");
        };
        String padName = b.node().attrString("padding_mode", "zeros");
        Padding padding = switch (padName) {
            case "zeros" -> Padding.ZEROS;
            case "border" -> Padding.BORDER;
            case "reflection" -> Padding.REFLECTION;
            default -> throw new IllegalArgumentException("unknown GridSample padding_mode '" + padName + "'");
        };
        return k -> {
            Tensor x = k.tensor(0);
            Tensor grid = k.tensor(1);
            int r = x.rank() - 2;
            if (r < 1 || grid.rank() != r + 2 || grid.shape().dim(0) != x.shape().dim(0) || grid.shape().dim(-1) != r) {
                throw new IllegalArgumentException("grid " + grid.shape() + " does not fit input " + x.shape());
            }
            if (x.dtype() == DType.STRING || x.dtype() == DType.COMPLEX64 || x.dtype() == DType.COMPLEX128) {
                throw new IllegalArgumentException("GridSample of " + x.dtype() + " tensors is not supported");
            }
            long n = x.shape().dim(0);
            long c = x.shape().dim(1);
            long[] in = java.util.Arrays.copyOfRange(x.shape().dims(), 2, r + 2);
            long[] outDims = new long[r + 2];
            outDims[0] = n;
            outDims[1] = c;
            System.arraycopy(grid.shape().dims(), 1, outDims, 2, r);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            long inPlane = x.shape().sizeBetween(2, r + 2);
            long outPlane = y.shape().sizeBetween(2, r + 2);
            long[] inStrides = Shape.of(in).strides();
            k.parallel().forRange(n * outPlane, 1, (start, end) -> {
                double[] coord = new double[r];
                for (long no = start; no < end; no++) {
                    long bi = no / outPlane;
                    long o = no % outPlane;
                    // The grid lists coordinates innermost axis first.
                    for (int a = 0; a < r; a++) {
                        double g = grid.getDouble(no * r + (r - 1 - a));
                        coord[a] = unnormalize(g, in[a], alignCorners);
                    }
                    for (long ch = 0; ch < c; ch++) {
                        long base = (bi * c + ch) * inPlane;
                        double v = sample(x, base, in, inStrides, coord, mode, padding, alignCorners);
                        // Integer outputs are cast from the float result, as the spec says.
                        y.setDouble((bi * c + ch) * outPlane + o, v);
                    }
                }
            });
        };
    }

    /**
     * N-linear interpolation at {@code pos} (in elements) of the block of {@code x} at {@code base}
     * with dims {@code in}; neighbours outside the block count as zero.
     */
    static double linearZeros(Tensor x, long base, long[] in, long[] strides, double[] pos) {
        return sample(x, base, in, strides, pos, Mode.LINEAR, Padding.ZEROS, false);
    }

    /** A normalized coordinate in [-1, 1] as a position in input elements. */
    private static double unnormalize(double g, long size, boolean alignCorners) {
        return alignCorners ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
    }

    private static double sample(Tensor x, long base, long[] in, long[] strides, double[] coord, Mode mode,
                                 Padding padding, boolean alignCorners) {
        int r = coord.length;
        if (mode == Mode.NEAREST) {
            long at = base;
            for (int a = 0; a < r; a++) {
                double p = pad(coord[a], in[a], padding, alignCorners);
                long i = (long) Math.rint(p);
                if (i < 0 || i >= in[a]) {
                    return 0;
                }
                at += i * strides[a];
            }
            return x.getDouble(at);
        }
        int taps = mode == Mode.LINEAR ? 2 : 4;
        long[] first = new long[r];
        double[][] weights = new double[r][taps];
        for (int a = 0; a < r; a++) {
            // Linear taps sit on the padded position; cubic taps are padded one by one below.
            double p = mode == Mode.LINEAR ? pad(coord[a], in[a], padding, alignCorners) : coord[a];
            double f = Math.floor(p);
            double t = p - f;
            if (mode == Mode.LINEAR) {
                first[a] = (long) f;
                weights[a][0] = 1 - t;
                weights[a][1] = t;
            } else {
                first[a] = (long) f - 1;
                weights[a][0] = cubicFar(t + 1);
                weights[a][1] = cubicNear(t);
                weights[a][2] = cubicNear(1 - t);
                weights[a][3] = cubicFar(2 - t);
            }
        }
        double sum = 0;
        int combos = 1;
        for (int a = 0; a < r; a++) {
            combos *= taps;
        }
        for (int combo = 0; combo < combos; combo++) {
            double w = 1;
            long at = base;
            boolean inside = true;
            int rest = combo;
            for (int a = r - 1; a >= 0; a--) {
                int tap = rest % taps;
                rest /= taps;
                w *= weights[a][tap];
                long i = first[a] + tap;
                if (mode == Mode.CUBIC && padding != Padding.ZEROS) {
                    i = (long) pad(i, in[a], padding, alignCorners);
                }
                if (i < 0 || i >= in[a]) {
                    inside = false;
                    break;
                }
                at += i * strides[a];
            }
            if (inside && w != 0) {
                sum += w * x.getDouble(at);
            }
        }
        return sum;
    }

    /** Applies border or reflection padding to a position; zeros padding leaves it as is. */
    private static double pad(double p, long size, Padding padding, boolean alignCorners) {
        return switch (padding) {
            case ZEROS -> p;
            case BORDER -> Math.min(Math.max(p, 0), size - 1);
            case REFLECTION -> {
                double lo = alignCorners ? 0 : -0.5;
                double hi = alignCorners ? size - 1 : size - 0.5;
                yield Math.min(Math.max(reflect(p, lo, hi), 0), size - 1);
            }
        };
    }

    /** Reflects {@code p} at the bounds until it lies in [lo, hi]. */
    private static double reflect(double p, double lo, double hi) {
        double span = hi - lo;
        if (span <= 0) {
            return lo;
        }
        double d = Math.abs(p - lo);
        double flips = Math.floor(d / span);
        double extra = d - flips * span;
        return flips % 2 == 0 ? lo + extra : hi - extra;
    }

    /** Cubic convolution weight for a tap at distance {@code d} in [0, 1]. */
    private static double cubicNear(double d) {
        return ((CUBIC_A + 2) * d - (CUBIC_A + 3)) * d * d + 1;
    }

    /** Cubic convolution weight for a tap at distance {@code d} in [1, 2]. */
    private static double cubicFar(double d) {
        return ((CUBIC_A * d - 5 * CUBIC_A) * d + 8 * CUBIC_A) * d - 4 * CUBIC_A;
    }

    /**
     * The grid of theta applied to evenly spaced positions in [-1, 1] (pixel centers or pixel
     * edges at the extremes, by {@code align_corners}), innermost axis first in each vector.
     */
    private static Kernel affineGrid(BindContext b) {
        boolean alignCorners = b.node().attrInt("align_corners", 0) != 0;
        return k -> {
            Tensor theta = k.tensor(0);
            long[] size = k.tensor(1).toLongArray();
            int r = size.length - 2;
            if (r != 2 && r != 3 || !theta.shape().equals(Shape.of(size[0], r, r + 1))) {
                throw new IllegalArgumentException("theta " + theta.shape() + " does not fit size "
                        + java.util.Arrays.toString(size));
            }
            long[] outDims = new long[r + 2];
            outDims[0] = size[0];
            System.arraycopy(size, 2, outDims, 1, r);
            outDims[r + 1] = r;
            Tensor grid = k.allocate(0, theta.dtype(), Shape.of(outDims));
            long[] spatial = java.util.Arrays.copyOfRange(size, 2, r + 2);
            long points = Shape.of(spatial).size();
            double[] pos = new double[r + 1];
            pos[r] = 1;
            for (long bi = 0; bi < size[0]; bi++) {
                for (long p = 0; p < points; p++) {
                    long rest = p;
                    for (int a = r - 1; a >= 0; a--) {
                        long i = rest % spatial[a];
                        rest /= spatial[a];
                        long len = spatial[a];
                        double v = alignCorners ? (len == 1 ? 0 : -1 + 2.0 * i / (len - 1)) : (2.0 * i + 1) / len - 1;
                        pos[r - 1 - a] = v;
                    }
                    long out = (bi * points + p) * r;
                    for (int row = 0; row < r; row++) {
                        double s = 0;
                        for (int col = 0; col <= r; col++) {
                            s += theta.getDouble((bi * r + row) * (r + 1) + col) * pos[col];
                        }
                        grid.setDouble(out + row, s);
                    }
                }
            }
        };
    }
}

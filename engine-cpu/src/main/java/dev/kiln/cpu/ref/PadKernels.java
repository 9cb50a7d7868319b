package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Padding and cropping: Pad (every version: pads as attribute or input, optional axes, the
 * constant, reflect, edge and wrap modes, negative pads that crop) and CenterCropPad.
 */
final class PadKernels {
    private PadKernels() {
    }

    /** How positions outside the input are filled. */
    enum Mode {
        CONSTANT, REFLECT, EDGE, WRAP;

        static Mode of(String name, int opset) {
            return switch (name) {
                case "constant" -> CONSTANT;
                case "reflect" -> REFLECT;
                case "edge" -> EDGE;
                case "wrap" -> {
                    if (opset < 19) {
                        throw new IllegalArgumentException("Pad mode 'wrap' exists from opset 19");
                    }
                    yield WRAP;
                }
                default -> throw new IllegalArgumentException("Pad mode '" + name + "' is not one of constant, "
                        + "reflect, edge, wrap");
            };
        }
    }

    static void register(KernelRegistry r) {
        r.onnx(PadKernels::pad, "Pad");
        r.onnx(PadKernels::centerCropPad, "CenterCropPad");
    }

    /** Pad: pads ({@code paddings} in opset 1) and a float value are attributes before opset 11. */
    private static Kernel pad(BindContext b) {
        int opset = b.opset();
        Mode mode = Mode.of(b.node().attrString("mode", "constant"), opset);
        boolean attrs = opset < 11;
        long[] attrPads = attrs ? b.node().attrInts(opset < 2 ? "paddings" : "pads") : null;
        if (attrs && attrPads == null) {
            throw new IllegalArgumentException("Pad needs the '" + (opset < 2 ? "paddings" : "pads") + "' attribute");
        }
        double attrValue = b.node().attrFloat("value", 0f);
        return k -> {
            Tensor x = k.tensor(0);
            int rank = x.rank();
            long[] pads = attrs ? attrPads : k.tensor(1).toLongArray();
            int[] axes;
            if (!attrs && opset >= 18 && k.hasInput(3)) {
                axes = Shapes.normalizeAxes(k.tensor(3).toLongArray(), rank);
            } else {
                axes = new int[rank];
                for (int i = 0; i < rank; i++) {
                    axes[i] = i;
                }
            }
            if (pads.length != 2 * axes.length) {
                throw new IllegalArgumentException("Pad has " + pads.length + " pads for " + axes.length + " axes");
            }
            long[] begin = new long[rank];
            long[] end = new long[rank];
            for (int i = 0; i < axes.length; i++) {
                begin[axes[i]] = pads[i];
                end[axes[i]] = pads[i + axes.length];
            }
            Tensor fill;
            if (attrs) {
                fill = Tensor.allocate(x.dtype(), Shape.SCALAR);
                fill.setDouble(0, attrValue);
            } else if (k.hasInput(2) && mode == Mode.CONSTANT) {
                fill = k.tensor(2);
                if (fill.size() != 1 || fill.dtype() != x.dtype()) {
                    throw new IllegalArgumentException("Pad constant_value must be one " + x.dtype() + " element, got "
                            + fill.dtype() + fill.shape());
                }
            } else {
                fill = Tensor.allocate(x.dtype(), Shape.SCALAR);
            }
            pad(k, x, begin, end, mode, fill);
        };
    }

    /** CenterCropPad: crops or zero-pads each listed axis to its target length around the center. */
    private static Kernel centerCropPad(BindContext b) {
        long[] axesAttr = b.node().attrInts("axes");
        return k -> {
            Tensor x = k.tensor(0);
            long[] target = k.tensor(1).toLongArray();
            int rank = x.rank();
            int[] axes;
            if (axesAttr != null) {
                axes = Shapes.normalizeAxes(axesAttr, rank);
            } else {
                axes = new int[rank];
                for (int i = 0; i < rank; i++) {
                    axes[i] = i;
                }
            }
            if (target.length != axes.length) {
                throw new IllegalArgumentException("CenterCropPad has " + target.length + " sizes for " + axes.length
                        + " axes");
            }
            long[] begin = new long[rank];
            long[] end = new long[rank];
            for (int i = 0; i < axes.length; i++) {
                long dim = x.shape().dim(axes[i]);
                if (target[i] < 0) {
                    throw new IllegalArgumentException("CenterCropPad size " + target[i] + " is negative");
                }
                // Cropping rounds the start down; padding puts the odd element at the end.
                long diff = target[i] - dim;
                long half = diff >= 0 ? diff / 2 : -((-diff) / 2);
                begin[axes[i]] = half;
                end[axes[i]] = diff - half;
            }
            pad(k, x, begin, end, Mode.CONSTANT, Tensor.allocate(x.dtype(), Shape.SCALAR));
        };
    }

    /**
     * Writes {@code x} padded by {@code begin}/{@code end} per axis into output 0. Negative pads
     * crop first; the modes then extend the cropped tensor.
     */
    static void pad(KernelContext k, Tensor x, long[] begin, long[] end, Mode mode, Tensor fill) {
        int rank = x.rank();
        long[] out = new long[rank];
        long[][] map = new long[rank][];
        for (int a = 0; a < rank; a++) {
            long dim = x.shape().dim(a);
            long cropStart = Math.max(0, -begin[a]);
            long kept = dim - cropStart - Math.max(0, -end[a]);
            out[a] = Math.addExact(Math.addExact(dim, begin[a]), end[a]);
            if (kept < 0 || out[a] < 0) {
                throw new IllegalArgumentException("Pad crops more than axis " + a + " of length " + dim + " holds");
            }
            if (kept == 0 && out[a] > 0 && mode != Mode.CONSTANT) {
                throw new IllegalArgumentException("Pad mode " + mode.name().toLowerCase() + " cannot extend an empty axis");
            }
            long lead = Math.max(0, begin[a]);
            map[a] = new long[Math.toIntExact(out[a])];
            for (int i = 0; i < out[a]; i++) {
                long j = i - lead;
                long src = j >= 0 && j < kept ? j : outside(j, kept, mode);
                map[a][i] = src < 0 ? -1 : cropStart + src;
            }
        }
        Shape os = Shape.of(out);
        Tensor y = k.allocate(0, x.dtype(), os);
        if (os.size() == 0) {
            return;
        }
        if (rank == 0) {
            Elements.copy(x, 0, y, 0, 1);
            return;
        }
        long[] st = x.shape().strides();
        long row = out[rank - 1];
        long[] lastMap = map[rank - 1];
        long rows = os.size() / row;
        long[] idx = new long[rank - 1];
        for (long r = 0; r < rows; r++) {
            long base = 0;
            for (int a = 0; a < rank - 1 && base >= 0; a++) {
                long m = map[a][(int) idx[a]];
                base = m < 0 ? -1 : base + m * st[a];
            }
            long o = r * row;
            for (int i = 0; i < row; ) {
                if (base < 0 || lastMap[i] < 0) {
                    Elements.copy(fill, 0, y, o + i, 1);
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < row && lastMap[j] == lastMap[j - 1] + 1) {
                    j++;
                }
                Elements.copy(x, base + lastMap[i], y, o + i, j - i);
                i = j;
            }
            for (int a = rank - 2; a >= 0; a--) {
                if (++idx[a] < out[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
    }

    /** The source of position {@code j} outside {@code [0, len)}, or -1 for the fill value. */
    private static long outside(long j, long len, Mode mode) {
        return switch (mode) {
            case CONSTANT -> -1;
            case EDGE -> j < 0 ? 0 : len - 1;
            case WRAP -> Math.floorMod(j, len);
            case REFLECT -> {
                if (len == 1) {
                    yield 0;
                }
                long period = 2 * (len - 1);
                long m = Math.floorMod(j, period);
                yield m < len ? m : period - m;
            }
        };
    }
}

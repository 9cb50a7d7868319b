package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;

/** Conv, 1-D and 2-D, float, on {@code kiln_conv2d_f32} (a 1-D convolution is a 2-D one of height 1). */
final class ConvKernels {
    private static final int THREADS = 256;

    private ConvKernels() {
    }

    static void register(MetalKernels r) {
        r.onnx(ConvKernels::conv, "Conv");
    }

    private static Kernel conv(BindContext ctx) {
        if (!StaticShapes.allFloat(ctx)) {
            return null;
        }
        long[] x = StaticShapes.in(ctx, 0);
        long[] w = StaticShapes.in(ctx, 1);
        long[] y = StaticShapes.out(ctx, 0);
        int spatial = x.length - 2;
        if (spatial < 1 || spatial > 2 || w.length != x.length || y.length != x.length) {
            return null;
        }
        Node node = ctx.node();
        long group = node.attrInt("group", 1);
        long[] strides = StaticShapes.ints(node, "strides", ones(spatial));
        long[] dilations = StaticShapes.ints(node, "dilations", ones(spatial));
        long[] begin = beginPads(node, x, w, y, strides, dilations);
        if (begin == null || group < 1 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1]) {
            return null;
        }
        // As 2-D: height 1 and a kernel of height 1 for 1-D.
        long h = spatial == 2 ? x[2] : 1;
        long wi = x[x.length - 1];
        long oh = spatial == 2 ? y[2] : 1;
        long ow = y[y.length - 1];
        long kh = spatial == 2 ? w[2] : 1;
        long kw = w[w.length - 1];
        long total = StaticShapes.size(y);
        if (!StaticShapes.fitsIndex(total) || !StaticShapes.fitsIndex(StaticShapes.size(x)) || !StaticShapes.fitsIndex(StaticShapes.size(w))) {
            return null;
        }
        boolean hasBias = ctx.inputCount() > 2 && node.hasInput(2);
        byte[] params = new ParamStruct().i32(x[0], x[1], h, wi, w[0], oh, ow, kh, kw, group,
                spatial == 2 ? strides[0] : 1, strides[spatial - 1], spatial == 2 ? begin[0] : 0, begin[spatial - 1],
                spatial == 2 ? dilations[0] : 1, dilations[spatial - 1], hasBias ? 1 : 0, total).bytes();
        return (MetalKernel) (q, d) -> q.dispatch(Dispatch.perElement("kiln_conv2d_f32", total, THREADS)
                .buffer(0, d.input(0)).buffer(1, d.input(1)).buffer(2, hasBias ? d.input(2) : 0).buffer(3, d.output(0))
                .bytes(4, params));
    }

    private static long[] ones(int n) {
        long[] r = new long[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }

    /** The padding before each spatial dim, from pads or auto_pad; {@code null} for what the kernel does not do. */
    private static long[] beginPads(Node node, long[] x, long[] w, long[] y, long[] strides, long[] dilations) {
        int spatial = x.length - 2;
        String auto = node.attrString("auto_pad", "NOTSET");
        long[] begin = new long[spatial];
        switch (auto) {
            case "NOTSET" -> {
                long[] pads = StaticShapes.ints(node, "pads", new long[2 * spatial]);
                if (pads.length != 2 * spatial) {
                    return null;
                }
                System.arraycopy(pads, 0, begin, 0, spatial);
            }
            case "VALID" -> {
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                for (int i = 0; i < spatial; i++) {
                    long total = Math.max(0, (y[i + 2] - 1) * strides[i] + (w[i + 2] - 1) * dilations[i] + 1 - x[i + 2]);
                    begin[i] = auto.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                }
            }
            default -> {
                return null;
            }
        }
        return begin;
    }
}

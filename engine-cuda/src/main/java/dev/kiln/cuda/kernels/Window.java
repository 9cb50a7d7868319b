package dev.kiln.cuda.kernels;

import dev.kiln.graph.Node;
import dev.kiln.ops.Shapes;

/**
 * The window of a 1-D or 2-D convolution or pooling node, as two axes (H, W; H = 1 for 1-D):
 * strides, dilations and begin/end pads with {@code auto_pad} applied as the spec says.
 * {@code null} from {@link #of} when the node has another spatial rank or bad attributes (the
 * CPU reports those).
 */
record Window(long[] in, long[] kernel, long[] stride, long[] dilation, long[] padBegin, long[] padEnd) {

    static Window of(Node node, long[] inSpatial, long[] kernelSpatial) {
        int n = inSpatial.length;
        if (n < 1 || n > 2 || kernelSpatial.length != n) {
            return null;
        }
        long[] strides = orOnes(node.attrInts("strides"), n);
        long[] dil = orOnes(node.attrInts("dilations"), n);
        long[] pads = node.attrInts("pads");
        String autoPad = node.attrString("auto_pad", "NOTSET");
        if (strides.length != n || dil.length != n || (pads != null && pads.length != 2 * n)) {
            return null;
        }
        long[] pb = new long[n];
        long[] pe = new long[n];
        for (int i = 0; i < n; i++) {
            if (strides[i] <= 0 || dil[i] <= 0 || kernelSpatial[i] <= 0) {
                return null;
            }
            switch (autoPad) {
                case "SAME_UPPER", "SAME_LOWER" -> {
                    long[] p = Shapes.autoPad(autoPad, inSpatial[i], kernelSpatial[i], strides[i], dil[i]);
                    pb[i] = p[0];
                    pe[i] = p[1];
                }
                case "VALID" -> { }
                default -> {
                    if (pads != null) {
                        pb[i] = pads[i];
                        pe[i] = pads[i + n];
                    }
                }
            }
            if (pb[i] < 0 || pe[i] < 0) {
                return null;
            }
        }
        return new Window(two(inSpatial, 1), two(kernelSpatial, 1), two(strides, 1), two(dil, 1), two(pb, 0), two(pe, 0));
    }

    private static long[] orOnes(long[] v, int n) {
        if (v != null) {
            return v;
        }
        long[] r = new long[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }

    private static long[] two(long[] v, long fill) {
        return v.length == 2 ? v : new long[] {fill, v[0]};
    }
}

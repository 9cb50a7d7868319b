package dev.kiln.cpu.ref;

import dev.kiln.graph.Node;
import dev.kiln.ops.Shapes;

/**
 * Resolved window parameters of a convolution or pooling node for one input: kernel, strides,
 * dilations and explicit begin/end pads per spatial axis, with {@code auto_pad} applied.
 * Spatial ranks 1 to 3 are padded to 3 axes of size 1 so one loop nest serves them all.
 */
public record ConvGeometry(int spatial, long[] in, long[] kernel, long[] stride, long[] dilation,
                           long[] padBegin, long[] padEnd, long[] out) {

    /** Axes the loops run over (spatial axes padded to 3). */
    public static final int AXES = 3;

    /**
     * @param node the node (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode)
     * @param inSpatial the input's spatial dims
     * @param kernelSpatial the kernel's spatial dims (from the weights or kernel_shape)
     */
    public static ConvGeometry of(Node node, long[] inSpatial, long[] kernelSpatial, boolean ceilAllowed) {
        int n = inSpatial.length;
        long[] strides = orOnes(node.attrInts("strides"), n);
        long[] dil = orOnes(node.attrInts("dilations"), n);
        long[] pads = node.attrInts("pads");
        String autoPad = node.attrString("auto_pad", "NOTSET");
        boolean ceil = ceilAllowed && node.attrInt("ceil_mode", 0) != 0;
        if (strides.length != n || dil.length != n || kernelSpatial.length != n || (pads != null && pads.length != 2 * n)) {
            throw new IllegalArgumentException("window attributes do not match " + n + " spatial axes");
        }
        long[] pb = new long[n];
        long[] pe = new long[n];
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            if (strides[i] <= 0 || dil[i] <= 0 || kernelSpatial[i] <= 0) {
                throw new IllegalArgumentException("strides, dilations and kernel sizes must be positive");
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
                throw new IllegalArgumentException("negative pads are not supported");
            }
            out[i] = Shapes.windowOutput(inSpatial[i], kernelSpatial[i], strides[i], dil[i], pb[i], pe[i], ceil);
        }
        return new ConvGeometry(n, pad3(inSpatial, 1), pad3(kernelSpatial, 1), pad3(strides, 1), pad3(dil, 1),
                pad3(pb, 0), pad3(pe, 0), pad3(out, 1));
    }

    /**
     * ConvTranspose's begin pad when the output size is given ({@code output_shape} or SAME
     * auto_pad) and {@code total} is the full output minus that size. Floor division: when the
     * requested output is larger than the full one the total is negative, and the extra
     * (zero-contribution) elements go at the end.
     */
    public static long transposeBeginPad(long total, String autoPad) {
        return autoPad.equals("SAME_UPPER") ? Math.floorDiv(total, 2) : total - Math.floorDiv(total, 2);
    }

    static long[] orOnes(long[] v, int n) {
        if (v != null) {
            return v;
        }
        long[] r = new long[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }

    /** Left-pads to {@link #AXES} entries, so a 2-D window becomes 1 x H x W. */
    static long[] pad3(long[] v, long fill) {
        if (v.length > AXES) {
            throw new IllegalArgumentException("at most " + AXES + " spatial axes are supported, got " + v.length);
        }
        long[] r = new long[AXES];
        int off = AXES - v.length;
        for (int i = 0; i < AXES; i++) {
            r[i] = i < off ? fill : v[i - off];
        }
        return r;
    }

    /** The real (unpadded) output spatial dims. */
    public long[] outSpatial() {
        return java.util.Arrays.copyOfRange(out, AXES - spatial, AXES);
    }

    /** Input elements per channel. */
    public long inPlane() {
        return in[0] * in[1] * in[2];
    }

    /** Output elements per channel. */
    public long outPlane() {
        return out[0] * out[1] * out[2];
    }

    /** Kernel elements per channel. */
    public long kernelPlane() {
        return kernel[0] * kernel[1] * kernel[2];
    }
}

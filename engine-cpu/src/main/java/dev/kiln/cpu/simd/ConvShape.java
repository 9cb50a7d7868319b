package dev.kiln.cpu.simd;

import dev.kiln.cpu.ref.ConvGeometry;

/**
 * The resolved 2-D window of one convolution or pooling call: input and output sizes, kernel,
 * strides, dilations and leading pads (trailing pads follow from the output size).
 */
record ConvShape(int inH, int inW, int outH, int outW, int kH, int kW, int strideH, int strideW,
                 int dilH, int dilW, int padTop, int padLeft) {

    /** The 2-D shape of a geometry with two spatial axes, or null for other ranks. */
    static ConvShape of(ConvGeometry g) {
        if (g.spatial() != 2) {
            return null;
        }
        return new ConvShape(Math.toIntExact(g.in()[1]), Math.toIntExact(g.in()[2]),
                Math.toIntExact(g.out()[1]), Math.toIntExact(g.out()[2]),
                Math.toIntExact(g.kernel()[1]), Math.toIntExact(g.kernel()[2]),
                Math.toIntExact(g.stride()[1]), Math.toIntExact(g.stride()[2]),
                Math.toIntExact(g.dilation()[1]), Math.toIntExact(g.dilation()[2]),
                Math.toIntExact(g.padBegin()[1]), Math.toIntExact(g.padBegin()[2]));
    }

    int inPlane() {
        return inH * inW;
    }

    int outPlane() {
        return outH * outW;
    }

    int window() {
        return kH * kW;
    }

    /** True for a 1x1 window that reads every input pixel once, in order. */
    boolean isPointwise() {
        return kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
                && outH == inH && outW == inW;
    }

    /** Columns of one phase of a row split by {@link #strideW}: ceil(inW / strideW). */
    int phaseWidth() {
        return (inW + strideW - 1) / strideW;
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * One channel plane copied to the heap with a border of a fill value (0 for convolution, -inf
 * for max pooling) wide enough for every window, and with its columns grouped by phase when
 * the horizontal stride is above 1. A window position {@code (oh, ow)} then reads, for kernel
 * tap {@code (kh, kw)}, a run of consecutive output columns from consecutive memory:
 * {@code data[rowStart(oh * sh + kh * dh, kw * dw) + ow]}. The depthwise convolution and the
 * pooling kernels use it to vectorize along output rows.
 */
final class PaddedPlane {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    final ConvShape g;
    /** Padded rows. */
    final int rows;
    /** Floats per phase row (ceil(padded width / stride) plus a vector of slack). */
    final int phaseWidth;
    final float[] data;
    /** One input row, for the phase split. */
    private final float[] row;

    /** A buffer for planes of this shape; {@link #load} fills it. */
    PaddedPlane(ConvShape g) {
        this.g = g;
        int spanH = (g.outH() - 1) * g.strideH() + (g.kH() - 1) * g.dilH() + 1;
        int spanW = (g.outW() - 1) * g.strideW() + (g.kW() - 1) * g.dilW() + 1;
        this.rows = Math.max(spanH, g.padTop() + g.inH());
        int width = Math.max(spanW, g.padLeft() + g.inW());
        this.phaseWidth = (width + g.strideW() - 1) / g.strideW() + L;
        this.data = new float[Math.multiplyExact(Math.multiplyExact(rows, g.strideW()), phaseWidth)];
        this.row = new float[g.inW()];
    }

    /** Copies the plane at {@code x[off]} in, with {@code fill} around it. */
    void load(MemorySegment x, long off, float fill) {
        java.util.Arrays.fill(data, fill);
        int sw = g.strideW();
        for (int ih = 0; ih < g.inH(); ih++) {
            int r = ih + g.padTop();
            long in = off + (long) ih * g.inW();
            if (sw == 1) {
                MemorySegment.copy(x, Layouts.F32, in * 4, data, r * phaseWidth + g.padLeft(), g.inW());
                continue;
            }
            // One bulk copy, then the phase split array to array (element reads from the
            // segment were most of this method's time).
            MemorySegment.copy(x, Layouts.F32, in * 4, row, 0, g.inW());
            for (int rw = 0; rw < sw; rw++) {
                // padded column col = iw + padLeft lands in phase col % sw at col / sw
                int first = Math.floorMod(rw - g.padLeft(), sw);
                int at = (r * sw + rw) * phaseWidth + (first + g.padLeft()) / sw;
                for (int iw = first; iw < g.inW(); iw += sw) {
                    data[at++] = row[iw];
                }
            }
        }
    }

    /**
     * Index in {@link #data} of the value read by output column 0 for padded row {@code r} and
     * horizontal tap offset {@code kwOff = kw * dilW}; output column ow reads {@code + ow}.
     */
    int rowStart(int r, int kwOff) {
        int sw = g.strideW();
        return (r * sw + kwOff % sw) * phaseWidth + kwOff / sw;
    }
}

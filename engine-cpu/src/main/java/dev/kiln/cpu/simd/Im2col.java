package dev.kiln.cpu.simd;

import dev.kiln.backend.Parallel;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The image-to-columns matrix of a convolution as the right operand of {@link Sgemm}, packed on
 * the fly panel by panel (never materialized): row {@code p = (c, kh, kw)} of the depth, column
 * {@code j = (oh, ow)} of the output, value {@code x[c][oh*sh - pt + kh*dh][ow*sw - pl + kw*dw]}
 * or 0 in the padding.
 *
 * <p>Along an output row the input column advances by the stride. With stride 1 the reads are
 * contiguous; with a larger stride the input is first rearranged ({@link #splitPhases}) so
 * that each row holds its columns grouped by phase (column mod stride), which makes the reads
 * contiguous again: the packer then copies runs with vector loads instead of gathering.
 */
final class Im2col extends RightOperand {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final MemorySegment src;
    private final long base;
    private final ConvShape g;
    /** Elements per source channel and per source row (of one phase when split). */
    private final long plane;
    private final int rowLen;
    /** Floats in {@code src}, to keep whole-vector reads inside it. */
    private final long srcElements;

    /**
     * @param src the input, or its phase split when the horizontal stride is above 1
     * @param base element offset of the first channel of this image and group in {@code src}
     * @param channels channels of the group (the depth is channels x window)
     */
    Im2col(MemorySegment src, long base, int channels, ConvShape g) {
        super(Math.multiplyExact(channels, g.window()), g.outPlane());
        this.src = src;
        this.base = base;
        this.g = g;
        this.rowLen = g.strideW() == 1 ? g.inW() : g.phaseWidth();
        this.plane = (long) g.inH() * g.strideW() * rowLen;
        this.srcElements = src.byteSize() / 4;
    }

    /** Floats needed to split {@code channels} planes by phase: {@code channels * inH * strideW * phaseWidth}. */
    static long splitSize(int channels, ConvShape g) {
        return (long) channels * g.inH() * g.strideW() * g.phaseWidth();
    }

    /**
     * Writes {@code x[c][ih][q * sw + r]} to {@code dst[((c * inH + ih) * sw + r) * phaseWidth + q]}
     * for {@code channels} planes starting at {@code x[off]}; phases shorter than the phase width
     * are padded with zeros.
     */
    static void splitPhases(Parallel par, MemorySegment x, long off, int channels, ConvShape g, MemorySegment dst) {
        int sw = g.strideW();
        int wq = g.phaseWidth();
        par.forRange(channels, Math.max(1, 4096 / Math.max(1, g.inPlane())), (s, e) -> {
            for (long c = s; c < e; c++) {
                for (int ih = 0; ih < g.inH(); ih++) {
                    long in = off + (c * g.inH() + ih) * g.inW();
                    long out = ((c * g.inH() + ih) * sw) * wq;
                    for (int r = 0; r < sw; r++) {
                        long o = out + (long) r * wq;
                        int q = 0;
                        for (int iw = r; iw < g.inW(); iw += sw, q++) {
                            dst.setAtIndex(Layouts.F32, o + q, x.getAtIndex(Layouts.F32, in + iw));
                        }
                        for (; q < wq; q++) {
                            dst.setAtIndex(Layouts.F32, o + q, 0f);
                        }
                    }
                }
            }
        });
    }

    @Override
    void pack(int j0, int p0, int kc, float[] dst, int off) {
        int nr = MicroKernel.NR;
        int cols = Math.min(nr, this.cols - j0);
        int window = g.window();
        int sw = g.strideW();
        for (int pi = 0; pi < kc; pi++) {
            int p = p0 + pi;
            int c = p / window;
            int rem = p - c * window;
            int kh = rem / g.kW();
            int kw = rem - kh * g.kW();
            int offW = kw * g.dilW() - g.padLeft();
            int r = Math.floorMod(offW, sw);
            int qo = Math.floorDiv(offW, sw);
            // Valid columns of phase r: input columns r, r + sw, ... below inW.
            int valid = r < g.inW() ? (g.inW() - r + sw - 1) / sw : 0;
            long chan = base + c * plane;
            int d = off + pi * nr;
            int filled = 0;
            int oh = j0 / g.outW();
            int ow = j0 - oh * g.outW();
            while (filled < cols) {
                int len = Math.min(g.outW() - ow, cols - filled);
                int ih = oh * g.strideH() - g.padTop() + kh * g.dilH();
                int at = d + filled;
                if (ih < 0 || ih >= g.inH()) {
                    java.util.Arrays.fill(dst, at, at + len, 0f);
                } else {
                    long row = chan + ((long) ih * sw + r) * rowLen;
                    int q0 = ow + qo;
                    int lead = Math.min(len, Math.max(0, -q0));
                    int end = Math.max(lead, Math.min(len, valid - q0));
                    if (lead > 0) {
                        java.util.Arrays.fill(dst, at, at + lead, 0f);
                    }
                    copy(row + q0, dst, at, lead, end);
                    if (end < len) {
                        java.util.Arrays.fill(dst, at + end, at + len, 0f);
                    }
                }
                filled += len;
                ow = 0;
                oh++;
            }
            if (cols < nr) {
                java.util.Arrays.fill(dst, d + cols, d + nr, 0f);
            }
        }
    }

    /**
     * dst[at + t] = src[from + t] for t in [lo, hi), in whole vectors: a short run (a narrow image
     * row) is read past its end when the source allows, and the extra lanes land in dst where
     * the packer writes next (the caller's buffer has a vector of slack, see {@link Sgemm}).
     */
    private void copy(long from, float[] dst, int at, int lo, int hi) {
        int l = S.length();
        int t = lo;
        long limit = srcElements - from;
        for (; t < hi && t + l <= limit; t += l) {
            FloatVector.fromMemorySegment(S, src, (from + t) * 4, LE).intoArray(dst, at + t);
        }
        for (; t < hi; t++) {
            dst[at + t] = src.getAtIndex(Layouts.F32, from + t);
        }
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.Parallel;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The image-to-columns matrix of a convolution read from a prepared copy of the input in which
 * every row of every tap is one contiguous run, so packing a panel is a plain copy.
 *
 * <p>The input is padded with zeros and, for strides above 1, split by phase: the padded plane
 * of a channel becomes {@code sh x sw} phase planes, phase {@code (rh, rw)} holding the padded
 * elements {@code (sh * i + rh, sw * j + rw)}, each {@link #rowLen} wide. Tap {@code (kh, kw)}
 * of output pixel {@code (oh, ow)} reads padded element {@code (oh sh + kh dh, ow sw + kw dw)},
 * which is element {@code (oh + qh, ow + qw)} of phase {@code (kh dh mod sh, kw dw mod sw)},
 * where {@code qh = kh dh / sh} and {@code qw = kw dw / sw}. With output columns numbered
 * {@code j = oh * rowLen + ow} (a row of {@code rowLen - outW} extra columns that the caller
 * discards), row {@code p = (c, kh, kw)} of the matrix is the run starting at a fixed offset
 * per tap: {@code B[p][j] = prepared[offset[p] + j]}.
 *
 * <p>The price is the extra columns: {@code rowLen / outW} more work in the product, small
 * once the image is wider than a few panels ({@link #worthIt}).
 */
final class PaddedIm2col extends RightOperand {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final MemorySegment src;
    private final long[] offsets;

    /**
     * @param prepared the input of this image and group, laid out by {@link #prepare}
     * @param base the element offset of that input in {@code prepared}
     * @param offsets per depth row, from {@link #offsets}
     */
    PaddedIm2col(MemorySegment prepared, long base, long[] offsets, ConvShape g) {
        super(offsets.length, Math.multiplyExact(g.outH(), rowLen(g)));
        this.src = prepared;
        long[] o = offsets.clone();
        for (int i = 0; i < o.length; i++) {
            o[i] += base;
        }
        this.offsets = o;
    }

    /** Width of a phase row, and of the rows of the product's output: at least outW. */
    static int rowLen(ConvShape g) {
        int spanW = Math.max(g.padLeft() + g.inW(), (g.outW() - 1) * g.strideW() + (g.kW() - 1) * g.dilW() + 1);
        return (spanW + g.strideW() - 1) / g.strideW();
    }

    /** Rows of a phase plane (one more than the taps reach: the extra columns read into it). */
    static int phaseRows(ConvShape g) {
        int spanH = Math.max(g.padTop() + g.inH(), (g.outH() - 1) * g.strideH() + (g.kH() - 1) * g.dilH() + 1);
        return (spanH + g.strideH() - 1) / g.strideH() + 1;
    }

    /** Floats per channel of the prepared input. */
    static long channelSize(ConvShape g) {
        return (long) g.strideH() * g.strideW() * phaseRows(g) * rowLen(g);
    }

    /**
     * Floats of a prepared input of {@code channels}, with slack for whole-panel reads past the
     * last column.
     */
    static long size(int channels, ConvShape g) {
        return channels * channelSize(g) + 2L * MicroKernel.NR + rowLen(g);
    }

    /**
     * True when the extra columns cost little: the product over {@code outH * rowLen} columns
     * needs at most one panel in eight more than over the real {@code outH * outW}.
     */
    static boolean worthIt(ConvShape g) {
        long nr = MicroKernel.NR;
        long exact = ((long) g.outPlane() + nr - 1) / nr;
        long padded = ((long) g.outH() * rowLen(g) + nr - 1) / nr;
        return padded * 8 <= exact * 9;
    }

    /** Start of each depth row {@code p = (c, kh, kw)} relative to the first channel. */
    static long[] offsets(int channels, ConvShape g) {
        int window = g.window();
        long[] r = new long[Math.multiplyExact(channels, window)];
        long chan = channelSize(g);
        long phase = (long) phaseRows(g) * rowLen(g);
        for (int c = 0; c < channels; c++) {
            for (int kh = 0; kh < g.kH(); kh++) {
                int th = kh * g.dilH();
                for (int kw = 0; kw < g.kW(); kw++) {
                    int tw = kw * g.dilW();
                    long ph = (long) (th % g.strideH()) * g.strideW() + tw % g.strideW();
                    r[c * window + kh * g.kW() + kw] = c * chan + ph * phase
                            + (long) (th / g.strideH()) * rowLen(g) + tw / g.strideW();
                }
            }
        }
        return r;
    }

    /**
     * Writes the prepared form of {@code channels} planes starting at {@code x[off]} into
     * {@code dst} (zeros in the padding and the slack).
     */
    static void prepare(Parallel par, MemorySegment x, long off, int channels, ConvShape g, MemorySegment dst) {
        int sh = g.strideH();
        int sw = g.strideW();
        int len = rowLen(g);
        int rows = phaseRows(g);
        long chan = channelSize(g);
        long phase = (long) rows * len;
        par.forRange(channels, Math.max(1, 8192 / Math.max(1, g.inPlane())), (s, e) -> {
            float[] row = new float[g.inW()];
            for (long c = s; c < e; c++) {
                long base = c * chan;
                dst.asSlice(base * 4, chan * 4).fill((byte) 0);
                for (int ih = 0; ih < g.inH(); ih++) {
                    int ph = ih + g.padTop();
                    long line = base + ((long) (ph % sh) * sw) * phase + (long) (ph / sh) * len;
                    long in = off + c * g.inPlane() + (long) ih * g.inW();
                    if (sw == 1) {
                        MemorySegment.copy(x, Layouts.F32, in * 4, dst, Layouts.F32, (line + g.padLeft()) * 4, g.inW());
                        continue;
                    }
                    MemorySegment.copy(x, Layouts.F32, in * 4, row, 0, g.inW());
                    for (int rw = 0; rw < sw; rw++) {
                        // padded column pw = iw + padLeft lands in phase pw % sw at pw / sw
                        int first = Math.floorMod(rw - g.padLeft(), sw);
                        long at = line + (long) rw * phase + (first + g.padLeft()) / sw;
                        for (int iw = first; iw < g.inW(); iw += sw, at++) {
                            dst.setAtIndex(Layouts.F32, at, row[iw]);
                        }
                    }
                }
            }
        });
        long tail = channels * chan;
        dst.asSlice(tail * 4, (dst.byteSize() / 4 - tail) * 4).fill((byte) 0);
    }

    @Override
    void pack(int j0, int p0, int kc, float[] dst, int off) {
        int nr = MicroKernel.NR;
        int l = S.length();
        for (int pi = 0; pi < kc; pi++) {
            long from = (offsets[p0 + pi] + j0) * 4;
            int d = off + pi * nr;
            for (int j = 0; j < nr; j += l) {
                FloatVector.fromMemorySegment(S, src, from + j * 4L, LE).intoArray(dst, d + j);
            }
        }
    }
}

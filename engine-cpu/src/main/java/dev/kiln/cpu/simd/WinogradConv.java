package dev.kiln.cpu.simd;

import dev.kiln.backend.Parallel;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 3x3, stride 1, undilated, ungrouped convolution by Winograd's minimal filtering F(2x2, 3x3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 block
 * of outputs is {@code A^T [(G g G^T) . (B^T d B)] A} over the 4x4 input tile {@code d} under
 * it, so the products over the channels become 16 matrix products (one per position of the 4x4
 * transformed tile) of {@code M x C} transformed weights by {@code C x tiles} transformed input:
 * 16 multiplies per 4 outputs and input channel instead of 36. The transforms use only the
 * coefficients 0, 1, -1 and 1/2, so the rounding stays close to the direct sum's.
 *
 * <p>The tiles are processed in blocks of whole tile rows sized so that the transformed input
 * and products stay within a few megabytes; the transforms are vectorized along a tile row.
 */
final class WinogradConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Floats of transformed input plus products per block. */
    private static final long BLOCK_FLOATS = 1L << 20;

    private static final int MIN_CHANNELS = 64;
    private static final long MIN_PIXELS = 144;
    private final int m;
    private final int c;
    /** {@code G g G^T} for each of the 16 tile positions, an {@code M x C} matrix packed once. */
    private final LeftOperand[] u = new LeftOperand[16];

    private WinogradConv(int m, int c) {
        this.m = m;
        this.c = c;
    }

    /**
     * True when a convolution of {@code m} filters over {@code c} channels on images of
     * {@code pixels} (height times width; -1 when unknown) does enough work per tile for the
     * cheaper products to outweigh the transforms: measured against the image-to-column product,
     * Winograd wins from 64 channels and filters on images of at least 12 x 12, and loses below
     * (too few tiles to fill the product's panels, or too little depth to pay for the transforms).
     */
    static boolean suits(int m, int c, long pixels) {
        return m >= MIN_CHANNELS && c >= MIN_CHANNELS && pixels >= MIN_PIXELS;
    }

    /**
     * The transformed weights of an {@code M x C x 3 x 3} filter bank (row-major floats); null
     * when the heap cannot hold them.
     */
    static WinogradConv of(float[] w, int m, int c) {
        WinogradConv r = new WinogradConv(m, c);
        float[][] u = new float[16][m * c];
        float[] t = new float[12];
        for (int f = 0; f < m; f++) {
            for (int ch = 0; ch < c; ch++) {
                int g = (f * c + ch) * 9;
                // G g: rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2 of the 3 columns.
                for (int j = 0; j < 3; j++) {
                    float g0 = w[g + j];
                    float g1 = w[g + 3 + j];
                    float g2 = w[g + 6 + j];
                    t[j] = g0;
                    t[3 + j] = 0.5f * (g0 + g1 + g2);
                    t[6 + j] = 0.5f * (g0 - g1 + g2);
                    t[9 + j] = g2;
                }
                // (G g) G^T: the same combination along each row.
                for (int i = 0; i < 4; i++) {
                    float g0 = t[i * 3];
                    float g1 = t[i * 3 + 1];
                    float g2 = t[i * 3 + 2];
                    int at = f * c + ch;
                    u[i * 4][at] = g0;
                    u[i * 4 + 1][at] = 0.5f * (g0 + g1 + g2);
                    u[i * 4 + 2][at] = 0.5f * (g0 - g1 + g2);
                    u[i * 4 + 3][at] = g2;
                }
            }
        }
        for (int p = 0; p < 16; p++) {
            r.u[p] = LeftOperand.prepacked(MatrixOperands.left(MemorySegment.ofArray(u[p]), 0, m, c, c, 1));
            if (r.u[p] == null) {
                return null;
            }
        }
        return r;
    }

    /** Floats of scratch that {@link #run} needs for a call of shape {@code g}. */
    long scratchFloats(ConvShape g) {
        return 16L * (c + m) * blockRows(g) * tilesW(g) + S.length();
    }

    private static int tilesW(ConvShape g) {
        return (g.outW() + 1) / 2;
    }

    private int blockRows(ConvShape g) {
        int tilesH = (g.outH() + 1) / 2;
        long perRow = 16L * (c + m) * tilesW(g);
        return (int) Math.max(1, Math.min(tilesH, BLOCK_FLOATS / perRow));
    }

    /**
     * Y (batch x M x outH x outW at {@code y}) from X (batch x C x inH x inW at {@code x}),
     * through {@code ep} (its row bias indexed by filter) with {@code residual} (Y's layout; null
     * for none); {@code scratch} holds {@link #scratchFloats} floats.
     */
    void run(Parallel par, MemorySegment x, MemorySegment y, int batch, ConvShape g, Epilogue ep,
             MemorySegment residual, MemorySegment scratch) {
        int tw = tilesW(g);
        int tilesH = (g.outH() + 1) / 2;
        int rows = blockRows(g);
        long vSize = 16L * c * rows * tw;
        for (int n = 0; n < batch; n++) {
            long xImage = (long) n * c * g.inPlane();
            long yImage = (long) n * m * g.outPlane();
            for (int th0 = 0; th0 < tilesH; th0 += rows) {
                int t0 = th0;
                int t1 = Math.min(tilesH, th0 + rows);
                int tiles = (t1 - t0) * tw;
                par.forRange(c, 1, (s, e) -> {
                    Rows buf = new Rows(tw);
                    for (long ch = s; ch < e; ch++) {
                        for (int th = t0; th < t1; th++) {
                            transformInput(x, xImage + ch * g.inPlane(), g, th, buf, scratch,
                                    ch * tiles + (long) (th - t0) * tw, (long) c * tiles);
                        }
                    }
                });
                par.forRange(16, 1, (s, e) -> {
                    for (long p = s; p < e; p++) {
                        RightOperand v = MatrixOperands.right(scratch, p * c * tiles, c, tiles, tiles, 1);
                        Sgemm.multiply(par, u[(int) p], v, scratch, vSize + p * m * tiles, tiles, Epilogue.NONE, null, 0);
                    }
                });
                par.forRange(m, 1, (s, e) -> {
                    Rows buf = new Rows(tw);
                    for (long f = s; f < e; f++) {
                        for (int th = t0; th < t1; th++) {
                            transformOutput(scratch, vSize + f * tiles + (long) (th - t0) * tw, (long) m * tiles, g, th,
                                    buf, y, yImage + f * g.outPlane());
                        }
                        if (!ep.isIdentity() || residual != null) {
                            // Once over the block's rows of this filter (still in cache): per row,
                            // the calls cost more than the arithmetic on narrow planes.
                            long at = yImage + f * g.outPlane() + 2L * t0 * g.outW();
                            int count = (Math.min(g.outH(), 2 * t1) - 2 * t0) * g.outW();
                            ep.apply(y, at, count, (int) f, 1, 0, count, residual, at);
                        }
                    }
                });
            }
        }
    }

    /**
     * A worker's row buffers: a padded input row, its even and odd columns, the column transform
     * {@code d B} of four input rows (four arrays each), and two output rows.
     */
    private static final class Rows {
        final float[] padded;
        final float[] even;
        final float[] odd;
        final float[][][] cols = new float[4][4][];
        final float[][] y = new float[4][];
        final float[] out;
        /** The tile row and plane whose last two input rows sit in slots 2 and 3. */
        int nextTileRow = -1;
        long plane = -1;

        Rows(int tw) {
            int len = (tw + 1 + S.length() - 1) / S.length() * S.length() + S.length();
            padded = new float[2 * tw + 2];
            even = new float[len];
            odd = new float[len];
            for (int r = 0; r < 4; r++) {
                for (int j = 0; j < 4; j++) {
                    cols[r][j] = new float[len];
                }
                y[r] = new float[len];
            }
            out = new float[2 * len];
        }
    }

    /**
     * {@code B^T d B} for the tiles of tile row {@code th} of one channel (plane at {@code xOff}):
     * position {@code p} of tile {@code t} goes to {@code v[vOff + p * stride + t]}.
     */
    private static void transformInput(MemorySegment x, long xOff, ConvShape g, int th, Rows buf, MemorySegment v,
                                       long vOff, long stride) {
        int tw = tilesW(g);
        // Tile row th reads padded rows 2 th .. 2 th + 3; the tile row before it read the first two.
        boolean reuse = th == buf.nextTileRow && xOff == buf.plane;
        for (int r = 0; r < 4; r++) {
            if (reuse && r < 2) {
                float[][] t = buf.cols[r];
                buf.cols[r] = buf.cols[r + 2];
                buf.cols[r + 2] = t;
            } else {
                columns(x, xOff, g, 2 * th - g.padTop() + r, buf, buf.cols[r], tw);
            }
        }
        buf.nextTileRow = th + 1;
        buf.plane = xOff;
        int l = S.length();
        for (int j = 0; j < 4; j++) {
            // B^T: rows w0, w1, w2, w3 of column j become w0 - w2, w1 + w2, w2 - w1, w1 - w3.
            float[] w0 = buf.cols[0][j];
            float[] w1 = buf.cols[1][j];
            float[] w2 = buf.cols[2][j];
            float[] w3 = buf.cols[3][j];
            long at = vOff + j * stride;
            for (int t = 0; t < tw; t += l) {
                VectorMask<Float> mask = t + l <= tw ? null : S.indexInRange(t, tw);
                FloatVector a = FloatVector.fromArray(S, w1, t);
                FloatVector b = FloatVector.fromArray(S, w2, t);
                store(FloatVector.fromArray(S, w0, t).sub(b), v, at + t, mask);
                store(a.add(b), v, at + 4 * stride + t, mask);
                store(b.sub(a), v, at + 8 * stride + t, mask);
                store(a.sub(FloatVector.fromArray(S, w3, t)), v, at + 12 * stride + t, mask);
            }
        }
    }

    /**
     * {@code d B} of input row {@code ih} (zero outside the image) for every tile of the row:
     * tile t spans padded columns 2t .. 2t + 3, that is {@code a = even[t], b = odd[t],
     * c = even[t + 1], d = odd[t + 1]}, which become {@code a - c, b + c, c - b, b - d}.
     */
    private static void columns(MemorySegment x, long xOff, ConvShape g, int ih, Rows buf, float[][] dst, int tw) {
        float[] ev = buf.even;
        float[] od = buf.odd;
        if (ih < 0 || ih >= g.inH()) {
            for (float[] d : dst) {
                Arrays.fill(d, 0, tw, 0f);
            }
            return;
        }
        float[] p = buf.padded;
        Arrays.fill(p, 0, g.padLeft(), 0f);
        MemorySegment.copy(x, Layouts.F32, (xOff + (long) ih * g.inW()) * 4, p, g.padLeft(), g.inW());
        Arrays.fill(p, g.padLeft() + g.inW(), p.length, 0f);
        for (int k = 0; k <= tw; k++) {
            ev[k] = p[2 * k];
            od[k] = p[2 * k + 1];
        }
        float[] d0 = dst[0];
        float[] d1 = dst[1];
        float[] d2 = dst[2];
        float[] d3 = dst[3];
        for (int t = 0; t < tw; t += S.length()) {
            FloatVector b = FloatVector.fromArray(S, od, t);
            FloatVector c = FloatVector.fromArray(S, ev, t + 1);
            FloatVector.fromArray(S, ev, t).sub(c).intoArray(d0, t);
            b.add(c).intoArray(d1, t);
            c.sub(b).intoArray(d2, t);
            b.sub(FloatVector.fromArray(S, od, t + 1)).intoArray(d3, t);
        }
    }

    private static void store(FloatVector vec, MemorySegment seg, long index, VectorMask<Float> mask) {
        if (mask == null) {
            vec.intoMemorySegment(seg, index * 4, LE);
        } else {
            vec.intoMemorySegment(seg, index * 4, LE, mask);
        }
    }

    private static FloatVector load(MemorySegment seg, long index) {
        return FloatVector.fromMemorySegment(S, seg, index * 4, LE);
    }

    /**
     * {@code A^T M A} for the tiles of tile row {@code th} of one filter (position {@code p} of
     * tile {@code t} at {@code prod[pOff + p * stride + t]}), written to output rows
     * {@code 2 th} and {@code 2 th + 1} of the plane at {@code yOff}.
     * Loads may run up to a vector past the tile row (lanes that are dropped).
     */
    private static void transformOutput(MemorySegment prod, long pOff, long stride, ConvShape g, int th, Rows buf,
                                        MemorySegment y, long yOff) {
        int tw = tilesW(g);
        int l = S.length();
        long s4 = 4 * stride;
        for (int t = 0; t < tw; t += l) {
            // A^T M: rows m0 + m1 + m2 and m1 - m2 - m3 of each column j (positions j, 4 + j, 8 + j, 12 + j).
            long at = pOff + t;
            FloatVector m10 = load(prod, at + s4);
            FloatVector m20 = load(prod, at + 2 * s4);
            FloatVector s00 = load(prod, at).add(m10).add(m20);
            FloatVector s10 = m10.sub(m20).sub(load(prod, at + 3 * s4));
            at += stride;
            FloatVector m11 = load(prod, at + s4);
            FloatVector m21 = load(prod, at + 2 * s4);
            FloatVector s01 = load(prod, at).add(m11).add(m21);
            FloatVector s11 = m11.sub(m21).sub(load(prod, at + 3 * s4));
            at += stride;
            FloatVector m12 = load(prod, at + s4);
            FloatVector m22 = load(prod, at + 2 * s4);
            FloatVector s02 = load(prod, at).add(m12).add(m22);
            FloatVector s12 = m12.sub(m22).sub(load(prod, at + 3 * s4));
            at += stride;
            FloatVector m13 = load(prod, at + s4);
            FloatVector m23 = load(prod, at + 2 * s4);
            FloatVector s03 = load(prod, at).add(m13).add(m23);
            FloatVector s13 = m13.sub(m23).sub(load(prod, at + 3 * s4));
            // (A^T M) A: the same along each row.
            s00.add(s01).add(s02).intoArray(buf.y[0], t);
            s01.sub(s02).sub(s03).intoArray(buf.y[1], t);
            s10.add(s11).add(s12).intoArray(buf.y[2], t);
            s11.sub(s12).sub(s13).intoArray(buf.y[3], t);
        }
        for (int i = 0; i < 2; i++) {
            int oh = 2 * th + i;
            if (oh >= g.outH()) {
                break;
            }
            float[] left = buf.y[2 * i];
            float[] right = buf.y[2 * i + 1];
            float[] out = buf.out;
            for (int t = 0; t < tw; t++) {
                out[2 * t] = left[t];
                out[2 * t + 1] = right[t];
            }
            long at = yOff + (long) oh * g.outW();
            MemorySegment.copy(out, 0, y, Layouts.F32, at * 4, g.outW());
        }
    }
}

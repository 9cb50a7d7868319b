package dev.kiln.cpu.simd;

import dev.kiln.backend.Parallel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution (one filter per channel): for each channel plane, padded once into a
 * {@link PaddedPlane}, every output row is a sum over the kernel taps of a weight times a run of
 * the padded input, vectorized along the row.
 */
final class DepthwiseConv {
    private DepthwiseConv() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Each worker's padded plane and output row, reused while the shape stays the same. */
    private static final class Buffers {
        PaddedPlane plane;
        float[] row = new float[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Runs the convolution for {@code planes} = batch x channels planes.
     *
     * @param weights {@code channels x kH x kW}
     * @param bias per channel, or null
     */
    static void run(Parallel par, MemorySegment x, MemorySegment y, int planes, int channels, ConvShape g,
                    float[] weights, float[] bias, Activation act) {
        long work = (long) planes * g.outPlane() * g.window();
        long grain = Math.max(1, (1 << 16) / Math.max(1, (long) g.outPlane() * g.window()));
        par.forRange(planes, work < (1 << 16) ? planes : grain, (s, e) -> {
            Buffers buf = BUFFERS.get();
            if (buf.plane == null || !buf.plane.g.equals(g)) {
                buf.plane = new PaddedPlane(g);
            }
            int rowLen = (g.outW() + S.length() - 1) / S.length() * S.length();
            if (buf.row.length < rowLen) {
                buf.row = new float[rowLen];
            }
            PaddedPlane pp = buf.plane;
            float[] row = buf.row;
            for (long p = s; p < e; p++) {
                int c = (int) (p % channels);
                pp.load(x, p * g.inPlane(), 0f);
                float b = bias == null ? 0f : bias[c];
                for (int oh = 0; oh < g.outH(); oh++) {
                    outputRow(pp, weights, c * g.window(), oh, b, row);
                    long o = p * g.outPlane() + (long) oh * g.outW();
                    MemorySegment.copy(row, 0, y, dev.kiln.tensor.Layouts.F32, o * 4, g.outW());
                    if (!act.isNone()) {
                        act.apply(y, o, g.outW());
                    }
                }
            }
        });
    }

    /** row[ow] = b + sum over taps of w * input, for one output row (whole vectors; row is padded). */
    private static void outputRow(PaddedPlane pp, float[] w, int wOff, int oh, float b, float[] row) {
        ConvShape g = pp.g;
        int l = S.length();
        float[] data = pp.data;
        for (int ow = 0; ow < g.outW(); ow += l) {
            FloatVector acc = FloatVector.broadcast(S, b);
            for (int kh = 0; kh < g.kH(); kh++) {
                int r = oh * g.strideH() + kh * g.dilH();
                for (int kw = 0; kw < g.kW(); kw++) {
                    int at = pp.rowStart(r, kw * g.dilW()) + ow;
                    acc = FloatVector.fromArray(S, data, at).fma(FloatVector.broadcast(S, w[wOff + kh * g.kW() + kw]), acc);
                }
            }
            acc.intoArray(row, ow);
        }
    }
}

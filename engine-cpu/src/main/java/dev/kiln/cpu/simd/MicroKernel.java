package dev.kiln.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner loops of {@link Sgemm}: an {@code MR x NR} tile of C held in
 * {@code 2 * MR} vector registers while a depth range of packed A and B streams through. The
 * tile is two vectors wide, so its width follows the hardware: 6 x 16 with AVX2, 6 x 32 with
 * AVX-512. Six rows keep 12 accumulators plus two B vectors and one broadcast A value inside the
 * 16 registers of AVX2; on AVX-512 the FMA units are already saturated at that shape.
 *
 * <p>The bodies are written out by hand, one statement per register: C2 keeps such code in
 * registers, while a vector passed to a helper method that is not inlined would be boxed.
 */
final class MicroKernel {
    private MicroKernel() {
    }

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Lanes per vector. */
    static final int L = S.length();
    /** Rows of a tile. */
    static final int MR = 6;
    /** Columns of a tile: two vectors. */
    static final int NR = 2 * L;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * C[0..6)[0..NR) (=|+=) A-panel x B-panel over {@code kc} depth steps. A holds 6 values per
     * step from {@code ao}, B holds NR per step from {@code bo}. With {@code tile} non-null the
     * raw sums go there instead (row-major, NR per row) and {@code c} is not touched.
     */
    static void tile6(float[] a, int ao, float[] b, int bo, int kc,
                      MemorySegment c, long co, long ldc, boolean accumulate, float[] tile) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int p = 0; p < kc; p++) {
            int bp = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
            int ap = ao + p * MR;
            FloatVector av = FloatVector.broadcast(S, a[ap]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ap + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ap + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ap + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ap + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ap + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        if (tile != null) {
            c00.intoArray(tile, 0);
            c01.intoArray(tile, L);
            c10.intoArray(tile, NR);
            c11.intoArray(tile, NR + L);
            c20.intoArray(tile, 2 * NR);
            c21.intoArray(tile, 2 * NR + L);
            c30.intoArray(tile, 3 * NR);
            c31.intoArray(tile, 3 * NR + L);
            c40.intoArray(tile, 4 * NR);
            c41.intoArray(tile, 4 * NR + L);
            c50.intoArray(tile, 5 * NR);
            c51.intoArray(tile, 5 * NR + L);
            return;
        }
        long r = ldc * 4;
        long o0 = co * 4;
        long o1 = o0 + r;
        long o2 = o1 + r;
        long o3 = o2 + r;
        long o4 = o3 + r;
        long o5 = o4 + r;
        long h = L * 4L;
        if (accumulate) {
            c00 = c00.add(FloatVector.fromMemorySegment(S, c, o0, LE));
            c01 = c01.add(FloatVector.fromMemorySegment(S, c, o0 + h, LE));
            c10 = c10.add(FloatVector.fromMemorySegment(S, c, o1, LE));
            c11 = c11.add(FloatVector.fromMemorySegment(S, c, o1 + h, LE));
            c20 = c20.add(FloatVector.fromMemorySegment(S, c, o2, LE));
            c21 = c21.add(FloatVector.fromMemorySegment(S, c, o2 + h, LE));
            c30 = c30.add(FloatVector.fromMemorySegment(S, c, o3, LE));
            c31 = c31.add(FloatVector.fromMemorySegment(S, c, o3 + h, LE));
            c40 = c40.add(FloatVector.fromMemorySegment(S, c, o4, LE));
            c41 = c41.add(FloatVector.fromMemorySegment(S, c, o4 + h, LE));
            c50 = c50.add(FloatVector.fromMemorySegment(S, c, o5, LE));
            c51 = c51.add(FloatVector.fromMemorySegment(S, c, o5 + h, LE));
        }
        c00.intoMemorySegment(c, o0, LE);
        c01.intoMemorySegment(c, o0 + h, LE);
        c10.intoMemorySegment(c, o1, LE);
        c11.intoMemorySegment(c, o1 + h, LE);
        c20.intoMemorySegment(c, o2, LE);
        c21.intoMemorySegment(c, o2 + h, LE);
        c30.intoMemorySegment(c, o3, LE);
        c31.intoMemorySegment(c, o3 + h, LE);
        c40.intoMemorySegment(c, o4, LE);
        c41.intoMemorySegment(c, o4 + h, LE);
        c50.intoMemorySegment(c, o5, LE);
        c51.intoMemorySegment(c, o5 + h, LE);
    }

    /**
     * One row: C[0][0..NR) (=|+=) a x B-panel, for products with a single row (batch-1 fully
     * connected layers). A holds one value per step. Two accumulator pairs, one per parity of
     * the depth step, keep four FMA chains in flight.
     */
    static void tile1(float[] a, int ao, float[] b, int bo, int kc,
                      MemorySegment c, long co, boolean accumulate, float[] tile) {
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = c0;
        FloatVector d0 = c0;
        FloatVector d1 = c0;
        int p = 0;
        for (; p + 1 < kc; p += 2) {
            int bp = bo + p * NR;
            FloatVector av = FloatVector.broadcast(S, a[ao + p]);
            c0 = av.fma(FloatVector.fromArray(S, b, bp), c0);
            c1 = av.fma(FloatVector.fromArray(S, b, bp + L), c1);
            FloatVector aw = FloatVector.broadcast(S, a[ao + p + 1]);
            d0 = aw.fma(FloatVector.fromArray(S, b, bp + NR), d0);
            d1 = aw.fma(FloatVector.fromArray(S, b, bp + NR + L), d1);
        }
        if (p < kc) {
            int bp = bo + p * NR;
            FloatVector av = FloatVector.broadcast(S, a[ao + p]);
            c0 = av.fma(FloatVector.fromArray(S, b, bp), c0);
            c1 = av.fma(FloatVector.fromArray(S, b, bp + L), c1);
        }
        c0 = c0.add(d0);
        c1 = c1.add(d1);
        if (tile != null) {
            c0.intoArray(tile, 0);
            c1.intoArray(tile, L);
            return;
        }
        long o = co * 4;
        long h = L * 4L;
        if (accumulate) {
            c0 = c0.add(FloatVector.fromMemorySegment(S, c, o, LE));
            c1 = c1.add(FloatVector.fromMemorySegment(S, c, o + h, LE));
        }
        c0.intoMemorySegment(c, o, LE);
        c1.intoMemorySegment(c, o + h, LE);
    }
}

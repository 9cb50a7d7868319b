package dev.kiln.cpu.simd;

import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Operands read from a float32 matrix in memory with arbitrary row and column strides (so a
 * transposed matrix is the same matrix with its strides swapped).
 */
final class MatrixOperands {
    private MatrixOperands() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /** A per-thread row of at least {@code n} floats. */
    private static float[] rowBuffer(int n) {
        float[][] holder = ROW.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        return holder[0];
    }

    /**
     * A as {@code rows x depth} elements of {@code seg}: element (i, p) at
     * {@code off + i * rowStride + p * colStride}.
     */
    static LeftOperand left(MemorySegment seg, long off, int rows, int depth, long rowStride, long colStride) {
        return new LeftOperand(rows, depth) {
            @Override
            void pack(int i0, int width, int p0, int kc, float[] dst, int o) {
                int valid = Math.max(0, Math.min(width, rows - i0));
                if (valid < width) {
                    java.util.Arrays.fill(dst, o, o + kc * width, 0f);
                }
                if (rowStride == 1 && width > 1) {
                    // Transposed storage: the panel's rows are contiguous for each k.
                    for (int p = 0; p < kc; p++) {
                        long src = off + i0 + (p0 + p) * colStride;
                        MemorySegment.copy(seg, Layouts.F32, src * 4, dst, o + p * width, valid);
                    }
                    return;
                }
                if (colStride == 1) {
                    // Row-major: bulk-copy each row to the heap, then interleave array to array.
                    float[] row = rowBuffer(kc);
                    for (int r = 0; r < valid; r++) {
                        MemorySegment.copy(seg, Layouts.F32, (off + (i0 + r) * rowStride + p0) * 4, row, 0, kc);
                        for (int p = 0; p < kc; p++) {
                            dst[o + p * width + r] = row[p];
                        }
                    }
                    return;
                }
                for (int r = 0; r < valid; r++) {
                    long src = off + (i0 + r) * rowStride + p0 * colStride;
                    for (int p = 0; p < kc; p++) {
                        dst[o + p * width + r] = seg.getAtIndex(Layouts.F32, src + p * colStride);
                    }
                }
            }
        };
    }

    /**
     * B as {@code depth x cols} elements of {@code seg}: element (p, j) at
     * {@code off + p * rowStride + j * colStride}.
     */
    static RightOperand right(MemorySegment seg, long off, int depth, int cols, long rowStride, long colStride) {
        return new RightOperand(depth, cols) {
            @Override
            void pack(int j0, int p0, int kc, float[] dst, int o) {
                int nr = MicroKernel.NR;
                int valid = Math.max(0, Math.min(nr, cols - j0));
                if (colStride == 1 && valid == nr) {
                    int l = S.length();
                    for (int p = 0; p < kc; p++) {
                        long src = (off + (p0 + p) * rowStride + j0) * 4;
                        for (int j = 0; j < nr; j += l) {
                            FloatVector.fromMemorySegment(S, seg, src + j * 4L, LE).intoArray(dst, o + p * nr + j);
                        }
                    }
                    return;
                }
                for (int p = 0; p < kc; p++) {
                    long src = off + (p0 + p) * rowStride + j0 * colStride;
                    int d = o + p * nr;
                    if (colStride == 1) {
                        MemorySegment.copy(seg, Layouts.F32, src * 4, dst, d, valid);
                    } else {
                        for (int j = 0; j < valid; j++) {
                            dst[d + j] = seg.getAtIndex(Layouts.F32, src + j * colStride);
                        }
                    }
                    java.util.Arrays.fill(dst, d + valid, d + nr, 0f);
                }
            }
        };
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Float32 Transpose. Size-1 axes are dropped and axes that stay adjacent are merged, so most
 * permutations become either row copies (the last axis stays last: attention's head split,
 * ShuffleNet's channel shuffle) or batched 2-D transposes, done in cache-sized tiles.
 */
final class TransposeKernels {
    private TransposeKernels() {
    }

    /** Edge of the square tiles of a 2-D transpose: 32 x 32 floats read and written in L1. */
    private static final int TILE = 32;

    static void register(KernelRegistry r) {
        r.onnx(TransposeKernels::transpose, "Transpose");
    }

    private static Kernel transpose(BindContext b) {
        if (!Float32.inputs(b, 0)) {
            return null;
        }
        long[] perm = b.node().attrInts("perm");
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor x = k.tensor(0);
            int rank = x.rank();
            int[] p = new int[rank];
            for (int i = 0; i < rank; i++) {
                p[i] = perm == null ? rank - 1 - i : (int) perm[i];
            }
            if (!validPermutation(p) || x.dtype() != dev.kiln.tensor.DType.FLOAT) {
                reference.run(k);
                return;
            }
            long[] outDims = new long[rank];
            for (int i = 0; i < rank; i++) {
                outDims[i] = x.shape().dim(p[i]);
            }
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            if (x.size() > 0) {
                run(k, x, y, p);
            }
        };
    }

    private static boolean validPermutation(int[] p) {
        boolean[] seen = new boolean[p.length];
        for (int v : p) {
            if (v < 0 || v >= p.length || seen[v]) {
                return false;
            }
            seen[v] = true;
        }
        return true;
    }

    private static void run(KernelContext k, Tensor x, Tensor y, int[] perm) {
        // Input axes kept (size > 1), then output axes as runs of consecutive input axes.
        long[] inDims = x.shape().dims();
        int rank = inDims.length;
        int[] newIndex = new int[rank];
        int kept = 0;
        for (int i = 0; i < rank; i++) {
            newIndex[i] = inDims[i] == 1 ? -1 : kept++;
        }
        int[] q = new int[kept];
        int j = 0;
        for (int a : perm) {
            if (newIndex[a] >= 0) {
                q[j++] = newIndex[a];
            }
        }
        long[] d = new long[kept];
        for (int i = 0; i < rank; i++) {
            if (newIndex[i] >= 0) {
                d[newIndex[i]] = inDims[i];
            }
        }
        // Merge output neighbours that are input neighbours: groups of input axes.
        int[] groupStart = new int[kept];
        int groups = 0;
        for (int i = 0; i < kept; i++) {
            if (i == 0 || q[i] != q[i - 1] + 1) {
                groupStart[groups++] = i;
            }
        }
        // Each group is a merged axis; its input position is the input axis it starts at.
        long[] gDim = new long[groups];
        int[] gIn = new int[groups];
        for (int g = 0; g < groups; g++) {
            int end = g + 1 < groups ? groupStart[g + 1] : kept;
            long size = 1;
            for (int i = groupStart[g]; i < end; i++) {
                size *= d[q[i]];
            }
            gDim[g] = size;
            gIn[g] = q[groupStart[g]];
        }
        // Input strides of the merged axes: order groups by input position.
        Integer[] byInput = new Integer[groups];
        for (int g = 0; g < groups; g++) {
            byInput[g] = g;
        }
        java.util.Arrays.sort(byInput, java.util.Comparator.comparingInt(g -> gIn[g]));
        long[] gStride = new long[groups];
        long acc = 1;
        for (int i = groups - 1; i >= 0; i--) {
            gStride[byInput[i]] = acc;
            acc *= gDim[byInput[i]];
        }
        MemorySegment xs = x.data();
        MemorySegment ys = y.data();
        if (groups <= 1) {
            MemorySegment.copy(xs, 0, ys, 0, x.byteSize());
            return;
        }
        if (gStride[groups - 1] == 1) {
            rows(k, xs, ys, gDim, gStride);
        } else {
            tiles(k, xs, ys, gDim, gStride);
        }
    }

    /** The last output axis is contiguous in the input too: copy whole rows. */
    private static void rows(KernelContext k, MemorySegment xs, MemorySegment ys, long[] dim, long[] stride) {
        int r = dim.length;
        long len = dim[r - 1];
        long rows = 1;
        for (int i = 0; i < r - 1; i++) {
            rows *= dim[i];
        }
        k.parallel().forRange(rows, Math.max(1, (1 << 14) / len), (s, e) -> {
            for (long row = s; row < e; row++) {
                long rem = row;
                long src = 0;
                for (int a = r - 2; a >= 0; a--) {
                    src += (rem % dim[a]) * stride[a];
                    rem /= dim[a];
                }
                MemorySegment.copy(xs, src * 4, ys, row * len * 4, len * 4);
            }
        });
    }

    /**
     * The input's contiguous axis moved: for every position of the other axes, a 2-D transpose
     * between output axis {@code c} (input stride 1) and the last output axis, in tiles.
     */
    private static void tiles(KernelContext k, MemorySegment xs, MemorySegment ys, long[] dim, long[] stride) {
        int r = dim.length;
        int c = 0;
        for (int i = 0; i < r; i++) {
            if (stride[i] == 1) {
                c = i;
            }
        }
        long[] outStride = new long[r];
        long acc = 1;
        for (int i = r - 1; i >= 0; i--) {
            outStride[i] = acc;
            acc *= dim[i];
        }
        long rowsA = dim[c];
        long colsB = dim[r - 1];
        long inB = stride[r - 1];
        long outA = outStride[c];
        long outer = acc / (rowsA * colsB);
        long tilesA = (rowsA + TILE - 1) / TILE;
        long tilesB = (colsB + TILE - 1) / TILE;
        int fc = c;
        k.parallel().forRange(outer * tilesA * tilesB, 4, (s, e) -> {
            for (long t = s; t < e; t++) {
                long o = t / (tilesA * tilesB);
                long ta = (t / tilesB) % tilesA;
                long tb = t % tilesB;
                // Base offsets of the other axes.
                long rem = o;
                long src = 0;
                long dst = 0;
                for (int a = r - 2; a >= 0; a--) {
                    if (a == fc) {
                        continue;
                    }
                    long ia = rem % dim[a];
                    rem /= dim[a];
                    src += ia * stride[a];
                    dst += ia * outStride[a];
                }
                long a0 = ta * TILE;
                long a1 = Math.min(rowsA, a0 + TILE);
                long b0 = tb * TILE;
                long b1 = Math.min(colsB, b0 + TILE);
                for (long bi = b0; bi < b1; bi++) {
                    long s0 = src + bi * inB;
                    long d0 = dst + bi;
                    for (long ai = a0; ai < a1; ai++) {
                        ys.setAtIndex(Layouts.F32, d0 + ai * outA, xs.getAtIndex(Layouts.F32, s0 + ai));
                    }
                }
            }
        });
    }
}

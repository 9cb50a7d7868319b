package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.Parallel;
import dev.kiln.cpu.ref.StreamingAttentionKernels;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code kiln.Attention} as tiled products: per (batch, head) and tile of query rows, the keys
 * are taken in blocks; a block's scores are one {@link Sgemm} product (Q tile x K block^T), the
 * online softmax rescales the running row maxima, sums and outputs, and the values are added by
 * a second product (P x V block) whose epilogue adds the running output. Memory per task is one
 * score tile and two output tiles, whatever the sequence length: the score matrix never exists.
 */
final class StreamingAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Query rows per task. */
    private static final int ROWS = 128;
    /** Keys per block. */
    private static final int KEYS = 512;

    private StreamingAttention() {
    }

    static Kernel bind(BindContext b) {
        if (!Float32.inputs(b, 0, 1, 2, 3)) {
            return null;
        }
        long heads = b.node().attrInt("num_heads", 0);
        float scaleAttr = b.node().attrFloat("scale", Float.NaN);
        return k -> {
            Tensor q = k.tensor(0);
            Tensor key = k.tensor(1);
            Tensor v = k.tensor(2);
            Tensor mask = k.hasInput(3) ? k.tensor(3) : null;
            for (Tensor t : new Tensor[] {q, key, v, mask}) {
                if (t != null) {
                    Float32.require(t, "Attention input");
                }
            }
            StreamingAttentionKernels.checkShapes(q, key, v, heads);
            long batch = q.shape().dim(0);
            long sq = q.shape().dim(1);
            long hd = q.shape().dim(2);
            long skv = key.shape().dim(1);
            long he = v.shape().dim(2);
            Geometry g = new Geometry(batch, heads, sq, skv, (int) (hd / heads), (int) (he / heads), hd, he,
                    Float.isNaN(scaleAttr) ? (float) (1 / Math.sqrt((double) hd / heads)) : scaleAttr,
                    mask == null ? null : StreamingAttentionKernels.maskStrides(mask.shape(),
                            new long[] {batch, heads, sq, skv}));
            Tensor y = k.allocate(0, DType.FLOAT, Shape.of(batch, sq, he));
            long tiles = Math.ceilDiv(sq, ROWS);
            k.parallel().forRange(batch * heads * tiles, 1, (start, end) -> {
                Tile t = new Tile((int) Math.min(ROWS, sq), (int) Math.min(KEYS, skv), g.e);
                for (long task = start; task < end; task++) {
                    long bh = task / tiles;
                    t.run(g, q.data(), key.data(), v.data(), mask == null ? null : mask.data(), y.data(), bh / heads,
                            bh % heads, (task % tiles) * ROWS);
                }
            });
        };
    }

    /** The sizes of one call. */
    private record Geometry(long batch, long heads, long sq, long skv, int d, int e, long hd, long he, float scale,
                            long[] maskStrides) {
    }

    /** The working memory of one task: a score tile, the running output (two tiles, swapped), maxima and sums. */
    private static final class Tile {
        private final MemorySegment scores;
        /** Elements between rows of {@code scores}: the keys of a block. */
        private final int keys;
        private MemorySegment acc;
        private MemorySegment next;
        private final float[] max;
        private final float[] sum;

        /** Working memory for up to {@code rows} query rows, blocks of {@code keys} keys and {@code e} values. */
        Tile(int rows, int keys, int e) {
            this.keys = keys;
            scores = MemorySegment.ofArray(new float[rows * keys]);
            max = new float[rows];
            sum = new float[rows];
            acc = MemorySegment.ofArray(new float[rows * e]);
            next = MemorySegment.ofArray(new float[rows * e]);
        }

        void run(Geometry g, MemorySegment qs, MemorySegment ks, MemorySegment vs, MemorySegment mk, MemorySegment ys,
                 long b, long h, long q0) {
            int rows = (int) Math.min(ROWS, g.sq() - q0);
            int e = g.e();
            acc.fill((byte) 0);
            Arrays.fill(max, Float.NEGATIVE_INFINITY);
            Arrays.fill(sum, 0);
            LeftOperand qTile = MatrixOperands.left(qs, (b * g.sq() + q0) * g.hd() + h * g.d(), rows, g.d(), g.hd(), 1);
            for (long j0 = 0; j0 < g.skv(); j0 += keys) {
                int n = (int) Math.min(keys, g.skv() - j0);
                RightOperand kBlock = MatrixOperands.right(ks, (b * g.skv() + j0) * g.hd() + h * g.d(), g.d(), n, 1, g.hd());
                Sgemm.multiply(Parallel.SERIAL, qTile, kBlock, scores, 0, keys, Epilogue.NONE, null, 0);
                for (int r = 0; r < rows; r++) {
                    long so = (long) r * keys;
                    float blockMax = scaleAndMask(g, mk, b, h, q0 + r, j0, so, n);
                    float m = Math.max(max[r], blockMax);
                    if (m == Float.NEGATIVE_INFINITY) {
                        // Every score so far is -inf: this block adds nothing yet.
                        scores.asSlice(so * 4, n * 4L).fill((byte) 0);
                        continue;
                    }
                    float rescale = max[r] == Float.NEGATIVE_INFINITY ? 0 : (float) Math.exp(max[r] - m);
                    sum[r] = sum[r] * rescale + VectorMath.expShiftedSum(scores, so, m, scores, so, n, true);
                    max[r] = m;
                    if (rescale != 1) {
                        UnaryKernels.scale(acc, (long) r * e, e, rescale);
                    }
                }
                LeftOperand p = MatrixOperands.left(scores, 0, rows, n, keys, 1);
                RightOperand vBlock = MatrixOperands.right(vs, (b * g.skv() + j0) * g.he() + h * e, n, e, g.he(), 1);
                Sgemm.multiply(Parallel.SERIAL, p, vBlock, next, 0, e, Epilogue.NONE, acc, 0);
                MemorySegment t = acc;
                acc = next;
                next = t;
            }
            for (int r = 0; r < rows; r++) {
                long yOff = (b * g.sq() + q0 + r) * g.he() + h * e;
                // A row masked out entirely has sum 0 and gives NaN, as the unfused Softmax does.
                float inv = 1 / sum[r];
                for (int c = 0; c < e; c++) {
                    ys.setAtIndex(Layouts.F32, yOff + c, acc.getAtIndex(Layouts.F32, (long) r * e + c) * inv);
                }
            }
        }

        /** Scales one row of scores, adds the mask, and returns the row's maximum. */
        private float scaleAndMask(Geometry g, MemorySegment mk, long b, long h, long i, long j0, long so, int n) {
            long[] ms = g.maskStrides();
            long mo = ms == null ? 0 : b * ms[0] + h * ms[1] + i * ms[2] + j0 * ms[3];
            boolean rowMask = ms != null && ms[3] == 1;
            float constant = ms != null && ms[3] == 0 ? mk.getAtIndex(Layouts.F32, mo) : 0f;
            int l = S.length();
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j <= n - l; j += l) {
                FloatVector s = FloatVector.fromMemorySegment(S, scores, (so + j) * 4, LE).mul(g.scale());
                s = rowMask ? s.add(FloatVector.fromMemorySegment(S, mk, (mo + j) * 4, LE)) : s.add(constant);
                s.intoMemorySegment(scores, (so + j) * 4, LE);
                best = best.max(s);
            }
            float m = best.reduceLanes(VectorOperators.MAX);
            for (; j < n; j++) {
                float s = scores.getAtIndex(Layouts.F32, so + j) * g.scale()
                        + (rowMask ? mk.getAtIndex(Layouts.F32, mo + j) : constant);
                scores.setAtIndex(Layouts.F32, so + j, s);
                m = Math.max(m, s);
            }
            return m;
        }
    }
}

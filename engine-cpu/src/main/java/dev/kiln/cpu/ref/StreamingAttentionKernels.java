package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * {@code kiln.Attention(Q, K, V, mask)}: multi-head scaled dot-product attention, float32.
 * Q is {@code [B, S, H*D]}, K {@code [B, T, H*D]}, V {@code [B, T, H*E]}, the optional additive
 * mask broadcasts to {@code [B, H, S, T]}; the output is {@code [B, S, H*E]}:
 * {@code softmax(scale * q k^T + mask) v} per batch and head.
 *
 * <p>Each query row streams over the keys in blocks, keeping a running maximum, a running sum of
 * exponentials and a running weighted sum of values, rescaled whenever the maximum grows (the
 * online softmax). Memory per row is one block of scores and one output row, whatever the
 * sequence length: the {@code S x T} score matrix never exists.
 */
public final class StreamingAttentionKernels {
    /** Keys scored at once per query row. */
    static final int BLOCK = 64;

    private StreamingAttentionKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "Attention", StreamingAttentionKernels::attention);
    }

    /**
     * Checks that Q ({@code batch x sq x heads*d}), K ({@code batch x skv x heads*d}) and V
     * ({@code batch x skv x heads*e}) fit together and split into {@code heads} heads.
     *
     * @throws IllegalArgumentException naming the shapes when they do not
     */
    public static void checkShapes(Tensor q, Tensor key, Tensor v, long heads) {
        if (q.rank() != 3 || key.rank() != 3 || v.rank() != 3) {
            throw new IllegalArgumentException("Attention takes 3-D Q, K, V, got " + q.shape() + ", " + key.shape()
                    + ", " + v.shape());
        }
        long batch = q.shape().dim(0);
        long hd = q.shape().dim(2);
        long he = v.shape().dim(2);
        if (heads <= 0 || hd % heads != 0 || he % heads != 0 || key.shape().dim(0) != batch
                || v.shape().dim(0) != batch || key.shape().dim(2) != hd || v.shape().dim(1) != key.shape().dim(1)) {
            throw new IllegalArgumentException("Attention shapes do not fit " + heads + " heads: Q " + q.shape()
                    + ", K " + key.shape() + ", V " + v.shape());
        }
    }

    private static Kernel attention(BindContext b) {
        long heads = b.node().attrInt("num_heads", 0);
        float scaleAttr = b.node().attrFloat("scale", Float.NaN);
        return k -> {
            Tensor q = k.tensor(0);
            Tensor key = k.tensor(1);
            Tensor v = k.tensor(2);
            Tensor mask = k.hasInput(3) ? k.tensor(3) : null;
            for (Tensor t : new Tensor[] {q, key, v, mask}) {
                if (t != null && t.dtype() != DType.FLOAT) {
                    throw new IllegalArgumentException("Attention takes float tensors, got " + t.dtype());
                }
            }
            checkShapes(q, key, v, heads);
            long batch = q.shape().dim(0);
            long sq = q.shape().dim(1);
            long hd = q.shape().dim(2);
            long skv = key.shape().dim(1);
            long he = v.shape().dim(2);
            long d = hd / heads;
            long e = he / heads;
            double scale = Float.isNaN(scaleAttr) ? 1 / Math.sqrt(d) : scaleAttr;
            long[] ms = mask == null ? null : maskStrides(mask.shape(), new long[] {batch, heads, sq, skv});
            Tensor y = k.allocate(0, DType.FLOAT, Shape.of(batch, sq, he));
            MemorySegment qs = q.data();
            MemorySegment ks = key.data();
            MemorySegment vs = v.data();
            MemorySegment mk = mask == null ? null : mask.data();
            MemorySegment ys = y.data();
            long rows = batch * heads * sq;
            k.parallel().forRange(rows, Math.max(1, 65536 / Math.max(1, skv * (d + e))), (start, end) -> {
                double[] acc = new double[(int) e];
                float[] s = new float[BLOCK];
                for (long row = start; row < end; row++) {
                    long bi = row / (heads * sq);
                    long h = (row / sq) % heads;
                    long i = row % sq;
                    long qOff = (bi * sq + i) * hd + h * d;
                    double max = Double.NEGATIVE_INFINITY;
                    double sum = 0;
                    java.util.Arrays.fill(acc, 0);
                    for (long j0 = 0; j0 < skv; j0 += BLOCK) {
                        int n = (int) Math.min(BLOCK, skv - j0);
                        double blockMax = Double.NEGATIVE_INFINITY;
                        for (int jj = 0; jj < n; jj++) {
                            long kOff = (bi * skv + j0 + jj) * hd + h * d;
                            float dot = 0;
                            for (long p = 0; p < d; p++) {
                                dot += qs.getAtIndex(Layouts.F32, qOff + p) * ks.getAtIndex(Layouts.F32, kOff + p);
                            }
                            float score = (float) (dot * scale);
                            if (mk != null) {
                                score += mk.getAtIndex(Layouts.F32, bi * ms[0] + h * ms[1] + i * ms[2] + (j0 + jj) * ms[3]);
                            }
                            s[jj] = score;
                            blockMax = Math.max(blockMax, score);
                        }
                        double next = Math.max(max, blockMax);
                        if (next == Double.NEGATIVE_INFINITY) {
                            continue;
                        }
                        double rescale = max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(max - next);
                        sum *= rescale;
                        for (int c = 0; c < e; c++) {
                            acc[c] *= rescale;
                        }
                        for (int jj = 0; jj < n; jj++) {
                            double w = Math.exp(s[jj] - next);
                            sum += w;
                            long vOff = (bi * skv + j0 + jj) * he + h * e;
                            for (int c = 0; c < e; c++) {
                                acc[c] += w * vs.getAtIndex(Layouts.F32, vOff + c);
                            }
                        }
                        max = next;
                    }
                    long yOff = (bi * sq + i) * he + h * e;
                    for (int c = 0; c < e; c++) {
                        // A row masked out entirely has sum 0 and gives NaN, as the unfused Softmax does.
                        ys.setAtIndex(Layouts.F32, yOff + c, (float) (acc[c] / sum));
                    }
                }
            });
        };
    }

    /** Element strides of a mask broadcast to {@code scores} ({@code [B, H, S, T]}): 0 along broadcast axes. */
    public static long[] maskStrides(Shape mask, long[] scores) {
        if (mask.rank() > 4) {
            throw new IllegalArgumentException("Attention mask " + mask + " has more than 4 dimensions");
        }
        long[] own = mask.strides();
        long[] r = new long[4];
        int off = 4 - mask.rank();
        for (int a = 0; a < mask.rank(); a++) {
            long dim = mask.dim(a);
            if (dim != 1 && dim != scores[a + off]) {
                throw new IllegalArgumentException("Attention mask " + mask + " does not broadcast to the scores "
                        + java.util.Arrays.toString(scores));
            }
            r[a + off] = dim == 1 ? 0 : own[a];
        }
        return r;
    }
}

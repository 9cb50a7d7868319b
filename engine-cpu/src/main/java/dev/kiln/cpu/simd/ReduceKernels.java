package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 ReduceSum, ReduceMean, ReduceMax, ReduceMin and ReduceSumSquare over axes that form
 * one contiguous block once size-1 axes are ignored: the input is then {@code outer x len x inner}
 * and the reduction runs along {@code len}, vectorized along the row when {@code inner} is 1 and
 * across {@code inner} otherwise. Other axis patterns and empty inputs go to the reference kernel.
 *
 * <p>A row sum has one fixed order whatever the vector width (see {@link #rowSum}), so a model
 * gives the same bits on AVX2 and AVX-512 machines. That matters beyond tidiness: in dynamically
 * quantized models a last-bit difference in a LayerNorm mean can move an activation across an
 * 8-bit rounding boundary, and the per-tensor scale spreads the step through the later layers.
 */
final class ReduceKernels {
    private ReduceKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private enum Op { SUM, MEAN, MAX, MIN, SUM_SQUARE }

    static void register(KernelRegistry r) {
        r.onnx(b -> reduce(b, Op.SUM, b.opset() >= 13), "ReduceSum");
        r.onnx(b -> reduce(b, Op.MEAN, b.opset() >= 18), "ReduceMean");
        r.onnx(b -> reduce(b, Op.MAX, b.opset() >= 18), "ReduceMax");
        r.onnx(b -> reduce(b, Op.MIN, b.opset() >= 18), "ReduceMin");
        r.onnx(b -> reduce(b, Op.SUM_SQUARE, b.opset() >= 18), "ReduceSumSquare");
    }

    private static Kernel reduce(BindContext b, Op op, boolean axesFromInput) {
        if (!Float32.inputs(b, 0)) {
            return null;
        }
        long[] axes;
        if (axesFromInput) {
            boolean given = b.inputCount() > 1 && !b.node().input(1).isEmpty();
            Tensor t = given ? b.constantInput(1) : null;
            if (given && t == null) {
                return null;
            }
            axes = t == null ? null : t.toLongArray();
        } else {
            axes = b.node().attrInts("axes");
        }
        boolean keep = b.node().attrInt("keepdims", 1) != 0;
        boolean noop = b.node().attrInt("noop_with_empty_axes", 0) != 0;
        if ((axes == null || axes.length == 0) && noop) {
            return null;
        }
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, k.node().opType() + " input");
            int rank = x.rank();
            boolean[] red = new boolean[rank];
            if (axes == null || axes.length == 0) {
                java.util.Arrays.fill(red, true);
            } else {
                for (int a : Shapes.normalizeAxes(axes, rank)) {
                    red[a] = true;
                }
            }
            long[] oli = block(x.shape(), red);
            if (oli == null || x.size() == 0) {
                reference.run(k);
                return;
            }
            long[] outDims = new long[rank];
            int j = 0;
            for (int i = 0; i < rank; i++) {
                if (!red[i]) {
                    outDims[j++] = x.shape().dim(i);
                } else if (keep) {
                    outDims[j++] = 1;
                }
            }
            Tensor y = k.allocate(0, x.dtype(), Shape.of(java.util.Arrays.copyOf(outDims, j)));
            run(k, op, x.data(), y.data(), oli[0], oli[1], oli[2]);
        };
    }

    /**
     * {outer, len, inner} when the reduced axes (ignoring size-1 axes) are one contiguous block,
     * else null.
     */
    private static long[] block(Shape s, boolean[] red) {
        long outer = 1;
        long len = 1;
        long inner = 1;
        int phase = 0; // 0: before the reduced block, 1: inside it, 2: after it
        for (int i = 0; i < s.rank(); i++) {
            long d = s.dim(i);
            if (d == 1) {
                continue;
            }
            if (red[i]) {
                if (phase == 2) {
                    return null;
                }
                phase = 1;
                len *= d;
            } else if (phase == 0) {
                outer *= d;
            } else {
                phase = 2;
                inner *= d;
            }
        }
        return new long[] {outer, len, inner};
    }

    private static void run(KernelContext k, Op op, MemorySegment x, MemorySegment y, long outer, long len, long inner) {
        if (inner == 1) {
            long grain = Math.max(1, (1 << 14) / Math.max(1, len));
            k.parallel().forRange(outer, grain, (s, e) -> {
                for (long o = s; o < e; o++) {
                    y.setAtIndex(Layouts.F32, o, finish(op, row(op, x, o * len, len), len));
                }
            });
            return;
        }
        // Vectorized across the inner axis: full vectors, then the last few columns one by one.
        int l = S.length();
        long full = inner / l;
        long chunks = full + (inner % l == 0 ? 0 : 1);
        long grain = Math.max(1, (1 << 14) / Math.max(1, len * l));
        k.parallel().forRange(outer * chunks, grain, (s, e) -> {
            for (long t = s; t < e; t++) {
                long o = t / chunks;
                long c = t % chunks;
                long base = o * len * inner;
                if (c < full) {
                    long i = c * l;
                    FloatVector acc = FloatVector.fromMemorySegment(S, x, (base + i) * 4, LE);
                    if (op == Op.SUM_SQUARE) {
                        acc = acc.mul(acc);
                    }
                    for (long r = 1; r < len; r++) {
                        FloatVector v = FloatVector.fromMemorySegment(S, x, (base + r * inner + i) * 4, LE);
                        acc = switch (op) {
                            case SUM, MEAN -> acc.add(v);
                            case SUM_SQUARE -> v.fma(v, acc);
                            case MAX -> acc.max(v);
                            case MIN -> acc.min(v);
                        };
                    }
                    if (op == Op.MEAN) {
                        acc = acc.div((float) len);
                    }
                    acc.intoMemorySegment(y, (o * inner + i) * 4, LE);
                } else {
                    for (long i = full * l; i < inner; i++) {
                        float acc = x.getAtIndex(Layouts.F32, base + i);
                        if (op == Op.SUM_SQUARE) {
                            acc *= acc;
                        }
                        for (long r = 1; r < len; r++) {
                            float v = x.getAtIndex(Layouts.F32, base + r * inner + i);
                            acc = switch (op) {
                                case SUM, MEAN -> acc + v;
                                case SUM_SQUARE -> acc + v * v;
                                case MAX -> Float.isNaN(v) || Float.isNaN(acc) ? Float.NaN : Math.max(acc, v);
                                case MIN -> Float.isNaN(v) || Float.isNaN(acc) ? Float.NaN : Math.min(acc, v);
                            };
                        }
                        y.setAtIndex(Layouts.F32, o * inner + i, op == Op.MEAN ? acc / len : acc);
                    }
                }
            }
        });
    }

    /** Reduces one contiguous row: sums through {@link #rowSum}, the rest here (SUM_SQUARE by default). */
    private static float row(Op op, MemorySegment x, long off, long len) {
        if (op == Op.SUM || op == Op.MEAN) {
            return rowSum(x, off, len);
        }
        int l = S.length();
        FloatVector acc = switch (op) {
            case MAX -> FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            case MIN -> FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
            default -> FloatVector.zero(S);
        };
        long i = 0;
        for (; i <= len - l; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE);
            acc = switch (op) {
                case MAX -> acc.max(v);
                case MIN -> acc.min(v);
                default -> v.fma(v, acc);
            };
        }
        float r = switch (op) {
            case MAX -> acc.reduceLanes(VectorOperators.MAX);
            case MIN -> acc.reduceLanes(VectorOperators.MIN);
            default -> VectorMath.sumLanes(acc);
        };
        for (; i < len; i++) {
            float v = x.getAtIndex(Layouts.F32, off + i);
            r = switch (op) {
                case MAX -> Float.isNaN(v) || Float.isNaN(r) ? Float.NaN : Math.max(r, v);
                case MIN -> Float.isNaN(v) || Float.isNaN(r) ? Float.NaN : Math.min(r, v);
                default -> r + v * v;
            };
        }
        return r;
    }

    /**
     * The float32 sum of a row in a fixed order: eight interleaved partial sums (lane j adds
     * elements j, j + 8, j + 16, ...), combined pairwise (lanes j and j + 4, then j and j + 2, then
     * the last two), then the elements past the last multiple of eight in order. ONNX Runtime's
     * float reductions on x86 sum rows whose length is a multiple of eight in this same order
     * (checked bit for bit against ONNX Runtime 1.26), which keeps the two engines' quantized
     * models on the same side of every rounding. Rows longer than {@link #BLOCK} are split in
     * halves at a multiple of it and the halves added, so the rounding error of long sums grows
     * with the logarithm of the length rather than with the length.
     */
    static float rowSum(MemorySegment x, long off, long len) {
        if (len > BLOCK) {
            long half = (len / BLOCK + 1) / 2 * BLOCK;
            return rowSum(x, off, half) + rowSum(x, off + half, len - half);
        }
        long full = len - len % 8;
        float[] t = new float[8];
        if (S8 != null) {
            FloatVector acc = FloatVector.zero(S8);
            for (long i = 0; i < full; i += 8) {
                acc = acc.add(FloatVector.fromMemorySegment(S8, x, (off + i) * 4, LE));
            }
            acc.intoArray(t, 0);
        } else {
            for (long i = 0; i < full; i += 8) {
                for (int j = 0; j < 8; j++) {
                    t[j] += x.getAtIndex(Layouts.F32, off + i + j);
                }
            }
        }
        float r = ((t[0] + t[4]) + (t[2] + t[6])) + ((t[1] + t[5]) + (t[3] + t[7]));
        for (long i = full; i < len; i++) {
            r += x.getAtIndex(Layouts.F32, off + i);
        }
        return r;
    }

    /** The longest row summed in one pass (hidden sizes of common transformers fit). */
    static final long BLOCK = 1024;

    /** Eight float lanes, where the hardware has vectors that wide; else the scalar loop keeps the order. */
    private static final VectorSpecies<Float> S8 = S.vectorBitSize() >= 256 ? FloatVector.SPECIES_256 : null;

    private static float finish(Op op, float v, long len) {
        return op == Op.MEAN ? v / len : v;
    }
}

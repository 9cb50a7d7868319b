package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * MatMulInteger with constant 8-bit weights (the linear layers of dynamically quantized models):
 * {@code (A - a_zero_point) x (B - b_zero_point)} in int32, with B packed once at bind time.
 *
 * <p>The products run on the float32 GEMM ({@link Sgemm}), and the result is exact: the Vector
 * API has no integer dot-product operation (nothing that compiles to {@code vpmaddwd} or VNNI's
 * {@code vpdpbusd}), and widening bytes to int lanes costs a multiply and an add per lane where
 * float32 needs one fused multiply-add. Every shifted operand is an integer of magnitude at most
 * 255, so a float32 sum of products is exact while the sum of the magnitudes stays within 2^24;
 * the depth is cut into chunks that guarantee this (512 deep for int8 weights), each chunk's
 * float result is converted to int32, and the chunks are added in int32.
 *
 * <p>Other cases (B computed at run time or empty, batched B, per-row zero points of A) run on
 * the reference kernel.
 */
final class IntegerMatMulKernels {
    private IntegerMatMulKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(IntegerMatMulKernels::matMulInteger, "MatMulInteger");
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> SI = S.withLanes(int.class);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Integers of magnitude up to 2^24 are exact in float32. */
    private static final long EXACT = 1L << 24;

    private static Kernel matMulInteger(BindContext b) {
        Tensor w = b.constantInput(1);
        if (w == null || w.rank() != 2 || !eightBit(w.dtype()) || w.size() == 0) {
            return null;
        }
        Tensor wzp = null;
        if (b.inputCount() > 3 && b.node().hasInput(3)) {
            wzp = b.constantInput(3);
            if (wzp == null || wzp.dtype() != w.dtype() || wzp.size() != 1 && wzp.size() != w.shape().dim(1)
                    || wzp.rank() > 1) {
                return null;
            }
        }
        PackedWeights packed = PackedWeights.of(w, wzp);
        if (packed == null) {
            return null;
        }
        Kernel reference = Reference.kernel(b);
        return ctx -> {
            Tensor a = ctx.tensor(0);
            Tensor azp = ctx.hasInput(2) ? ctx.tensor(2) : null;
            if (!eightBit(a.dtype()) || a.rank() == 0 || a.shape().dim(-1) != packed.depth
                    || azp != null && (azp.size() != 1 || azp.dtype() != a.dtype())) {
                reference.run(ctx);
                return;
            }
            multiply(ctx, a, azp == null ? 0 : (int) azp.getLong(0), packed);
        };
    }

    private static boolean eightBit(DType t) {
        return t == DType.UINT8 || t == DType.INT8;
    }

    /** B - b_zero_point as float32 panels, one prepacked operand per depth chunk. */
    private record PackedWeights(int depth, int cols, int[] starts, RightOperand[] chunks) {
        static PackedWeights of(Tensor w, Tensor zp) {
            int k = Math.toIntExact(w.shape().dim(0));
            int n = Math.toIntExact(w.shape().dim(1));
            boolean unsigned = w.dtype() == DType.UINT8;
            float[] zero = new float[n];
            for (int j = 0; j < n; j++) {
                zero[j] = zp == null ? 0 : zp.getLong(zp.size() == 1 ? 0 : j);
            }
            MemorySegment seg = w.data();
            long maxB = 0;
            for (long i = 0; i < (long) k * n; i++) {
                maxB = Math.max(maxB, (long) Math.abs(value(seg, i, unsigned) - zero[(int) (i % n)]));
            }
            // |A - a_zero_point| <= 255 for any 8-bit A and zero point of its type.
            long chunk = maxB == 0 ? k : Math.max(1, EXACT / (255 * maxB));
            int count = (int) Math.max(1, (k + chunk - 1) / chunk);
            int[] starts = new int[count + 1];
            RightOperand[] chunks = new RightOperand[count];
            for (int c = 0; c <= count; c++) {
                starts[c] = (int) ((long) k * c / count);
            }
            for (int c = 0; c < count; c++) {
                int p0 = starts[c];
                int kc = starts[c + 1] - p0;
                chunks[c] = RightOperand.prepacked(new RightOperand(kc, n) {
                    @Override
                    void pack(int j0, int q0, int depth, float[] dst, int off) {
                        int nr = MicroKernel.NR;
                        for (int p = 0; p < depth; p++) {
                            long row = (long) (p0 + q0 + p) * n;
                            for (int j = 0; j < nr; j++) {
                                int col = j0 + j;
                                dst[off + p * nr + j] = col < n ? value(seg, row + col, unsigned) - zero[col] : 0f;
                            }
                        }
                    }
                });
                if (chunks[c] == null) {
                    return null;
                }
            }
            return new PackedWeights(k, n, starts, chunks);
        }
    }

    private static float value(MemorySegment seg, long i, boolean unsigned) {
        byte v = seg.get(Layouts.I8, i);
        return unsigned ? v & 0xff : v;
    }

    /** Rows {@code [0, rows)} of A (rows {@code stride} long) over depth {@code [p0, p0 + kc)}, shifted by the zero point. */
    private static LeftOperand left(MemorySegment seg, int rows, int stride, int p0, int kc, boolean unsigned, int zp) {
        return new LeftOperand(rows, kc) {
            @Override
            void pack(int i0, int width, int q0, int len, float[] dst, int o) {
                int valid = Math.max(0, Math.min(width, rows - i0));
                if (valid < width) {
                    java.util.Arrays.fill(dst, o, o + len * width, 0f);
                }
                byte[] row = ROW.get();
                if (row.length < len) {
                    row = new byte[len];
                    ROW.set(row);
                }
                for (int r = 0; r < valid; r++) {
                    MemorySegment.copy(seg, Layouts.I8, (long) (i0 + r) * stride + p0 + q0, row, 0, len);
                    if (unsigned) {
                        for (int p = 0; p < len; p++) {
                            dst[o + p * width + r] = (row[p] & 0xff) - zp;
                        }
                    } else {
                        for (int p = 0; p < len; p++) {
                            dst[o + p * width + r] = row[p] - zp;
                        }
                    }
                }
            }
        };
    }

    private static final ThreadLocal<byte[]> ROW = ThreadLocal.withInitial(() -> new byte[0]);

    private static void multiply(KernelContext ctx, Tensor a, int zp, PackedWeights w) {
        int k = w.depth;
        long[] dims = a.shape().dims();
        dims[dims.length - 1] = w.cols;
        Tensor y = ctx.allocate(0, DType.INT32, a.rank() == 1 ? Shape.of(w.cols) : Shape.of(dims));
        int rows = Math.toIntExact(a.size() / k);
        boolean unsigned = a.dtype() == DType.UINT8;
        MemorySegment out = y.data();
        long size = (long) rows * w.cols;
        MemorySegment tmp = w.chunks.length > 1 ? ctx.scratch(size * 4) : null;
        for (int c = 0; c < w.chunks.length; c++) {
            int p0 = w.starts[c];
            int kc = w.starts[c + 1] - p0;
            LeftOperand left = left(a.data(), rows, k, p0, kc, unsigned, zp);
            Sgemm.multiply(ctx.parallel(), left, w.chunks[c], c == 0 ? out : tmp, 0, w.cols, Epilogue.NONE, null, 0);
            if (c == 0) {
                toInt(out, size);
            } else {
                addAsInt(out, tmp, size);
            }
        }
    }

    /** Converts float32 values holding exact integers to int32 in place. */
    private static void toInt(MemorySegment s, long n) {
        long i = 0;
        for (long bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromMemorySegment(S, s, i * 4, LE).convert(VectorOperators.F2I, 0)
                    .intoMemorySegment(s, i * 4, LE);
        }
        for (; i < n; i++) {
            s.setAtIndex(Layouts.I32, i, (int) s.getAtIndex(Layouts.F32, i));
        }
    }

    /** {@code acc[i] += (int) part[i]}: int32 accumulators, float32 values holding exact integers. */
    private static void addAsInt(MemorySegment acc, MemorySegment part, long n) {
        long i = 0;
        for (long bound = S.loopBound(n); i < bound; i += S.length()) {
            IntVector p = (IntVector) FloatVector.fromMemorySegment(S, part, i * 4, LE).convert(VectorOperators.F2I, 0);
            IntVector.fromMemorySegment(SI, acc, i * 4, LE).add(p).intoMemorySegment(acc, i * 4, LE);
        }
        for (; i < n; i++) {
            acc.setAtIndex(Layouts.I32, i, acc.getAtIndex(Layouts.I32, i) + (int) part.getAtIndex(Layouts.F32, i));
        }
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Parallel;
import dev.kiln.cpu.ref.Broadcast;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/**
 * MatMul (numpy semantics: batched, broadcasting, 1-D operands promoted) and Gemm on float32,
 * through {@link Sgemm}. A constant right operand (the weights of a linear layer) is packed once
 * when the kernel is bound; Gemm's bias rides in the epilogue.
 */
final class MatMulKernels {
    private MatMulKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(MatMulKernels::matMul, "MatMul");
        r.onnx(MatMulKernels::gemm, "Gemm");
    }

    // ------------------------------------------------------------------ MatMul

    private static Kernel matMul(BindContext b) {
        if (!Float32.inputs(b, 0, 1)) {
            return null;
        }
        Tensor w = b.constantInput(1);
        if (w != null && w.rank() == 2 && w.dtype() == dev.kiln.tensor.DType.FLOAT) {
            int k = Math.toIntExact(w.shape().dim(0));
            int n = Math.toIntExact(w.shape().dim(1));
            RightOperand packed = RightOperand.prepacked(MatrixOperands.right(w.data(), 0, k, n, n, 1));
            return packed == null ? null : ctx -> linear(ctx, packed);
        }
        return MatMulKernels::batched;
    }

    /** A (any rank, rows flattened) times a packed K x N matrix. */
    private static void linear(KernelContext ctx, RightOperand w) {
        Tensor a = ctx.tensor(0);
        Float32.require(a, "MatMul input A");
        int k = w.depth;
        if (a.rank() == 0 || a.shape().dim(-1) != k) {
            throw new IllegalArgumentException("MatMul inner dimensions differ: " + a.shape() + " x [" + k + ", " + w.cols + "]");
        }
        long[] outDims = a.shape().dims();
        outDims[outDims.length - 1] = w.cols;
        Tensor y = ctx.allocate(0, a.dtype(), Shape.of(outDims));
        int rows = Math.toIntExact(a.size() / Math.max(1, k));
        if (k == 0) {
            rows = Math.toIntExact(y.size() / Math.max(1, w.cols));
        }
        LeftOperand left = MatrixOperands.left(a.data(), 0, rows, k, k, 1);
        Sgemm.multiply(ctx.parallel(), left, w, y.data(), 0, w.cols, Epilogue.NONE, null, 0);
    }

    /** The general case: batched, broadcast batch dims, both operands packed per call. */
    private static void batched(KernelContext ctx) {
        Tensor a = ctx.tensor(0);
        Tensor b = ctx.tensor(1);
        Float32.require(a, "MatMul input A");
        Float32.require(b, "MatMul input B");
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("MatMul inputs must not be scalars");
        }
        Shape sa = a.rank() == 1 ? Shape.of(1, a.shape().dim(0)) : a.shape();
        Shape sb = b.rank() == 1 ? Shape.of(b.shape().dim(0), 1) : b.shape();
        int m = Math.toIntExact(sa.dim(-2));
        int k = Math.toIntExact(sa.dim(-1));
        int n = Math.toIntExact(sb.dim(-1));
        if (sb.dim(-2) != k) {
            throw new IllegalArgumentException("MatMul inner dimensions differ: " + a.shape() + " x " + b.shape());
        }
        Shape batchA = Shape.of(Arrays.copyOf(sa.dims(), sa.rank() - 2));
        Shape batchB = Shape.of(Arrays.copyOf(sb.dims(), sb.rank() - 2));
        Shape batch = Shapes.broadcast(batchA, batchB);
        long[] outDims = new long[batch.rank() + (a.rank() == 1 ? 0 : 1) + (b.rank() == 1 ? 0 : 1)];
        System.arraycopy(batch.dims(), 0, outDims, 0, batch.rank());
        int j = batch.rank();
        if (a.rank() != 1) {
            outDims[j++] = m;
        }
        if (b.rank() != 1) {
            outDims[j] = n;
        }
        Tensor y = ctx.allocate(0, a.dtype(), Shape.of(outDims));
        int count = Math.toIntExact(batch.size());
        long[] offA = new long[count];
        long[] offB = new long[count];
        Broadcast.to(batch, batchA, batchB).forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                offA[(int) (o + i)] = (s[0] + i * st[0]) * m * k;
                offB[(int) (o + i)] = (s[1] + i * st[1]) * k * n;
            }
        });
        Parallel par = ctx.parallel();
        // Many small products: one per worker; few large ones: each split across the workers.
        boolean perProduct = count >= par.threads() && 2.0 * m * n * k < 64 * Sgemm.PARALLEL_FLOPS;
        Parallel inner = perProduct ? Parallel.SERIAL : par;
        Parallel.RangeTask task = (s, e) -> {
            for (long i = s; i < e; i++) {
                int bi = (int) i;
                LeftOperand left = MatrixOperands.left(a.data(), offA[bi], m, k, k, 1);
                RightOperand right = MatrixOperands.right(b.data(), offB[bi], k, n, n, 1);
                Sgemm.multiply(inner, left, right, y.data(), (long) bi * m * n, n, Epilogue.NONE, null, 0);
            }
        };
        if (perProduct) {
            par.forRange(count, 1, task);
        } else {
            task.run(0, count);
        }
    }

    // ------------------------------------------------------------------ Gemm

    private static Kernel gemm(BindContext b) {
        if (!Float32.inputs(b, 0, 1, 2)) {
            return null;
        }
        boolean ta = b.node().attrInt("transA", 0) != 0;
        boolean tb = b.node().attrInt("transB", 0) != 0;
        float alpha = b.node().attrFloat("alpha", 1f);
        float beta = b.node().attrFloat("beta", 1f);
        Tensor w = b.constantInput(1);
        RightOperand packed = null;
        if (w != null && w.rank() == 2 && w.dtype() == dev.kiln.tensor.DType.FLOAT) {
            int k = Math.toIntExact(w.shape().dim(tb ? 1 : 0));
            int n = Math.toIntExact(w.shape().dim(tb ? 0 : 1));
            RightOperand src = MatrixOperands.right(w.data(), 0, k, n, tb ? 1 : n, tb ? k : 1);
            packed = RightOperand.prepacked(alpha == 1f ? src : scaled(src, alpha));
            if (packed == null) {
                return null;
            }
        } else if (alpha != 1f) {
            return null;
        }
        Tensor c = b.inputCount() > 2 ? b.constantInput(2) : null;
        float[] constBias = c != null && beta != 0f ? columnBias(c, beta, -1) : null;
        RightOperand weights = packed;
        return ctx -> {
            Tensor a = ctx.tensor(0);
            Float32.require(a, "Gemm input A");
            if (a.rank() != 2) {
                throw new IllegalArgumentException("Gemm input A must be 2-D, got " + a.shape());
            }
            int m = Math.toIntExact(a.shape().dim(ta ? 1 : 0));
            int k = Math.toIntExact(a.shape().dim(ta ? 0 : 1));
            RightOperand right = weights;
            if (right == null) {
                Tensor bt = ctx.tensor(1);
                Float32.require(bt, "Gemm input B");
                if (bt.rank() != 2) {
                    throw new IllegalArgumentException("Gemm input B must be 2-D, got " + bt.shape());
                }
                int kb = Math.toIntExact(bt.shape().dim(tb ? 1 : 0));
                int nb = Math.toIntExact(bt.shape().dim(tb ? 0 : 1));
                right = MatrixOperands.right(bt.data(), 0, kb, nb, tb ? 1 : nb, tb ? kb : 1);
            }
            if (right.depth != k) {
                throw new IllegalArgumentException("Gemm inner dimensions differ: A " + a.shape() + ", B has " + right.depth);
            }
            int n = right.cols;
            Tensor y = ctx.allocate(0, a.dtype(), Shape.of(m, n));
            LeftOperand left = MatrixOperands.left(a.data(), 0, m, k, ta ? 1 : k, ta ? m : 1);
            Tensor bias = ctx.hasInput(2) && beta != 0f ? ctx.tensor(2) : null;
            float[] colBias = constBias != null && constBias.length == n ? constBias
                    : bias != null ? columnBias(bias, beta, n) : null;
            // A full M x N bias with beta 1 is a residual; other shapes get a pass of their own.
            boolean residual = bias != null && colBias == null && beta == 1f
                    && bias.dtype() == dev.kiln.tensor.DType.FLOAT && bias.shape().equals(y.shape());
            Epilogue ep = colBias != null ? Epilogue.NONE.withColumnBias(colBias) : Epilogue.NONE;
            Sgemm.multiply(ctx.parallel(), left, right, y.data(), 0, n, ep, residual ? bias.data() : null, 0);
            if (bias != null && colBias == null && !residual) {
                addBroadcast(y, bias, beta);
            }
        };
    }

    /**
     * beta * C as a per-column bias of {@code n} columns when C is a row ([N] or [1, N]) or,
     * with {@code n} known (not -1), a single value; else null.
     */
    private static float[] columnBias(Tensor c, float beta, int n) {
        if (c.dtype() != dev.kiln.tensor.DType.FLOAT) {
            return null;
        }
        long[] d = c.shape().dims();
        int rank = d.length;
        boolean row = rank <= 1 || (rank == 2 && d[0] == 1);
        if (!row) {
            return null;
        }
        float[] v = Float32.array(c);
        if (v.length == 1) {
            if (n < 0) {
                return null;
            }
            float x = v[0];
            v = new float[n];
            Arrays.fill(v, x);
        }
        for (int i = 0; i < v.length; i++) {
            v[i] *= beta;
        }
        return n < 0 || v.length == n ? v : null;
    }

    /** y += beta * C with C broadcast to y's shape. */
    private static void addBroadcast(Tensor y, Tensor c, float beta) {
        Float32.require(c, "Gemm input C");
        Broadcast.to(y.shape(), c.shape()).forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                y.setFloat(o + i, y.getFloat(o + i) + beta * c.getFloat(s[0] + i * st[0]));
            }
        });
    }

    /** A right operand whose packed values are multiplied by {@code alpha}. */
    private static RightOperand scaled(RightOperand src, float alpha) {
        return new RightOperand(src.depth, src.cols) {
            @Override
            void pack(int j0, int p0, int kc, float[] dst, int off) {
                src.pack(j0, p0, kc, dst, off);
                for (int i = 0; i < kc * MicroKernel.NR; i++) {
                    dst[off + i] *= alpha;
                }
            }
        };
    }
}

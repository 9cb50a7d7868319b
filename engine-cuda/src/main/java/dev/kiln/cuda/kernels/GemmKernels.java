package dev.kiln.cuda.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cuda.Grid;
import dev.kiln.cuda.LaunchArgs;
import dev.kiln.cuda.ParamStruct;
import dev.kiln.graph.Node;

/**
 * MatMul (batched, with broadcasting batch dims) and Gemm on {@code kiln_gemm_f32}, whose
 * epilogue {@code act(alpha * AB + beta * C)} also serves the optimizer's fused MatMul/Gemm.
 */
final class GemmKernels {
    private static final int TILE = 64;
    private static final int MAX_BATCH_RANK = 4;

    private GemmKernels() {
    }

    static void register(CudaKernels r) {
        r.onnx(GemmKernels::matMul, "MatMul");
        r.onnx(GemmKernels::gemm, "Gemm");
    }

    /** The launch for given problem sizes and strides; {@code batchDims} and the strides have equal length. */
    record Problem(long m, long n, long k, boolean transA, boolean transB, long[] batchDims, long[] aStrides,
                   long[] bStrides, long[] cStrides, long cStrideM, long cStrideN, float alpha, float beta,
                   Epilogue epilogue) {

        Kernel kernel(boolean hasC) {
            if (batchDims.length > MAX_BATCH_RANK || !StaticShapes.fitsInt(new long[] {m, n, k, StaticShapes.size(batchDims)})) {
                return null;
            }
            long batch = StaticShapes.size(batchDims);
            byte[] params = new ParamStruct()
                    .i64(padBatch(aStrides)).i64(padBatch(bStrides)).i64(padBatch(cStrides)).i64(cStrideM, cStrideN)
                    .i32(padBatchInts(batchDims)).i32(batchDims.length, (int) batch, (int) m, (int) n, (int) k,
                            transA ? 1 : 0, transB ? 1 : 0, epilogue.code())
                    .f32(alpha, beta, epilogue.alpha(), epilogue.beta()).bytes();
            Grid grid = new Grid((int) ((n + TILE - 1) / TILE), (int) ((m + TILE - 1) / TILE),
                    (int) Math.min(batch, Grid.MAX_YZ), 256);
            if ((m + TILE - 1) / TILE > Grid.MAX_YZ) {
                return null;
            }
            return (CudaKernel) (q, d) -> q.launch("kiln_gemm_f32", grid, new LaunchArgs().ptr(d.input(0)).ptr(d.input(1))
                    .ptr(hasC ? d.input(2) : 0).ptr(d.output(0)).struct(params));
        }

        private static long[] padBatch(long[] v) {
            long[] r = new long[MAX_BATCH_RANK];
            System.arraycopy(v, 0, r, 0, v.length);
            return r;
        }

        private static int[] padBatchInts(long[] v) {
            int[] r = new int[MAX_BATCH_RANK];
            java.util.Arrays.fill(r, 1);
            for (int i = 0; i < v.length; i++) {
                r[i] = (int) v[i];
            }
            return r;
        }
    }

    private static Kernel matMul(BindContext ctx) {
        if (!StaticShapes.allFloat(ctx)) {
            return null;
        }
        long[] a = StaticShapes.in(ctx, 0);
        long[] b = StaticShapes.in(ctx, 1);
        if (a.length == 0 || b.length == 0) {
            return null;
        }
        // 1-D operands are promoted to matrices, as numpy.matmul does.
        long[] a2 = a.length == 1 ? new long[] {1, a[0]} : a;
        long[] b2 = b.length == 1 ? new long[] {b[0], 1} : b;
        long m = a2[a2.length - 2];
        long k = a2[a2.length - 1];
        long n = b2[b2.length - 1];
        if (b2[b2.length - 2] != k) {
            return null;
        }
        int batchRank = Math.max(a2.length, b2.length) - 2;
        long[] batch = new long[batchRank];
        long[] sa = new long[batchRank];
        long[] sb = new long[batchRank];
        long[] aBatch = java.util.Arrays.copyOf(a2, a2.length - 2);
        long[] bBatch = java.util.Arrays.copyOf(b2, b2.length - 2);
        for (int i = 0; i < batchRank; i++) {
            long da = dimFromEnd(aBatch, batchRank - 1 - i);
            long db = dimFromEnd(bBatch, batchRank - 1 - i);
            batch[i] = Math.max(da, db);
        }
        long[] aBS = StaticShapes.broadcastStrides(aBatch, batch);
        long[] bBS = StaticShapes.broadcastStrides(bBatch, batch);
        for (int i = 0; i < batchRank; i++) {
            sa[i] = aBS[i] * m * k;
            sb[i] = bBS[i] * k * n;
        }
        return new Problem(m, n, k, false, false, batch, sa, sb, new long[batchRank], 0, 0, 1f, 0f, Epilogue.NONE)
                .kernel(false);
    }

    private static long dimFromEnd(long[] dims, int fromEnd) {
        return fromEnd < dims.length ? dims[dims.length - 1 - fromEnd] : 1;
    }

    private static Kernel gemm(BindContext ctx) {
        if (!StaticShapes.allFloat(ctx)) {
            return null;
        }
        Node node = ctx.node();
        boolean ta = node.attrInt("transA", 0) != 0;
        boolean tb = node.attrInt("transB", 0) != 0;
        long[] a = StaticShapes.in(ctx, 0);
        long[] b = StaticShapes.in(ctx, 1);
        if (a.length != 2 || b.length != 2) {
            return null;
        }
        long m = ta ? a[1] : a[0];
        long k = ta ? a[0] : a[1];
        long n = tb ? b[0] : b[1];
        boolean hasC = ctx.inputCount() > 2 && ctx.node().hasInput(2);
        long csm = 0;
        long csn = 0;
        if (hasC) {
            long[] cs = StaticShapes.broadcastStrides(StaticShapes.in(ctx, 2), new long[] {m, n});
            csm = cs[0];
            csn = cs[1];
        }
        return new Problem(m, n, k, ta, tb, new long[0], new long[0], new long[0], new long[0], csm, csn,
                node.attrFloat("alpha", 1f), node.attrFloat("beta", 1f), Epilogue.NONE).kernel(hasC);
    }
}

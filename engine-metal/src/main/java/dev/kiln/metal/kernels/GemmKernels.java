package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;

/**
 * MatMul (batched, with broadcasting batch dims) and Gemm on {@code kiln_gemm_f32}: 32x32 tiles
 * of the output per threadgroup of four SIMD groups, batches along the grid's z.
 */
final class GemmKernels {
    private static final int TILE = 32;
    private static final int KT = 16;
    private static final int THREADS = 128;
    private static final int MAX_BATCH_RANK = 4;
    /** Threadgroup memory: A's tile, B's tile and the output tile, in floats. */
    private static final long TILE_BYTES = 4L * (TILE * KT + KT * TILE + TILE * TILE);

    private GemmKernels() {
    }

    static void register(MetalKernels r) {
        r.onnx(GemmKernels::matMul, "MatMul");
        r.onnx(GemmKernels::gemm, "Gemm");
    }

    /** {@code null} when some size does not fit the kernel's int indexing. */
    private static Kernel problem(long m, long n, long k, boolean transA, boolean transB, long[] batchDims, long[] aStrides,
                                  long[] bStrides, boolean hasC, long cStrideM, long cStrideN, float alpha, float beta,
                                  long aSize, long bSize) {
        long batch = StaticShapes.size(batchDims);
        if (batchDims.length > MAX_BATCH_RANK || !StaticShapes.fitsIndex(batch * m * n) || !StaticShapes.fitsIndex(aSize)
                || !StaticShapes.fitsIndex(bSize)) {
            return null;
        }
        byte[] params = new ParamStruct().i32s(MAX_BATCH_RANK, 0, aStrides).i32s(MAX_BATCH_RANK, 0, bStrides)
                .i32s(MAX_BATCH_RANK, 1, batchDims).i32(batchDims.length, m, n, k, transA ? 1 : 0, transB ? 1 : 0,
                        hasC ? 1 : 0, cStrideM, cStrideN).f32(alpha, beta).bytes();
        long[] groups = {(n + TILE - 1) / TILE, (m + TILE - 1) / TILE, batch};
        return (MetalKernel) (q, d) -> q.dispatch(new Dispatch("kiln_gemm_f32", groups, new long[] {THREADS, 1, 1})
                .buffer(0, d.input(0)).buffer(1, d.input(1)).buffer(2, hasC ? d.input(2) : 0).buffer(3, d.output(0))
                .bytes(4, params).threadgroup(0, TILE_BYTES));
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
        long[] aBatch = java.util.Arrays.copyOf(a2, a2.length - 2);
        long[] bBatch = java.util.Arrays.copyOf(b2, b2.length - 2);
        long[] batch = new long[batchRank];
        for (int i = 0; i < batchRank; i++) {
            batch[i] = Math.max(dimFromEnd(aBatch, batchRank - 1 - i), dimFromEnd(bBatch, batchRank - 1 - i));
        }
        long[] sa = StaticShapes.broadcastStrides(aBatch, batch);
        long[] sb = StaticShapes.broadcastStrides(bBatch, batch);
        for (int i = 0; i < batchRank; i++) {
            sa[i] *= m * k;
            sb[i] *= k * n;
        }
        return problem(m, n, k, false, false, batch, sa, sb, false, 0, 0, 1f, 0f, StaticShapes.size(a), StaticShapes.size(b));
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
        return problem(m, n, k, ta, tb, new long[0], new long[0], new long[0], hasC, csm, csn,
                node.attrFloat("alpha", 1f), node.attrFloat("beta", 1f), StaticShapes.size(a), StaticShapes.size(b));
    }
}

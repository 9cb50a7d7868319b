package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/** Matrix products: MatMul (numpy semantics, batched with broadcasting) and Gemm. */
final class MatMulKernels {
    private MatMulKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(b -> MatMulKernels::matMul, "MatMul");
        r.onnx(MatMulKernels::gemm, "Gemm");
    }

    private static void matMul(KernelContext k) {
        product(k, null);
    }

    /** Finishes output row {@code y[off, off + n)} right after it is computed, while it is in cache. */
    @FunctionalInterface
    interface RowEpilogue {
        void row(Tensor y, long off, long n);
    }

    /** MatMul of inputs 0 and 1 into output 0, calling {@code epilogue} (when not null) on each output row. */
    static void product(KernelContext k, RowEpilogue epilogue) {
        Tensor a = k.tensor(0);
        Tensor b = k.tensor(1);
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("MatMul inputs must not be scalars");
        }
        Shape sa = a.rank() == 1 ? Shape.of(1, a.shape().dim(0)) : a.shape();
        Shape sb = b.rank() == 1 ? Shape.of(b.shape().dim(0), 1) : b.shape();
        long m = sa.dim(-2);
        long kk = sa.dim(-1);
        long n = sb.dim(-1);
        if (sb.dim(-2) != kk) {
            throw new IllegalArgumentException("MatMul inner dimensions differ: " + a.shape() + " x " + b.shape());
        }
        Shape batchA = Shape.of(java.util.Arrays.copyOf(sa.dims(), sa.rank() - 2));
        Shape batchB = Shape.of(java.util.Arrays.copyOf(sb.dims(), sb.rank() - 2));
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
        Tensor y = k.allocate(0, a.dtype(), Shape.of(outDims));
        long[] offA = new long[(int) batch.size()];
        long[] offB = new long[(int) batch.size()];
        Broadcast.to(batch, batchA, batchB).forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                offA[(int) (o + i)] = (s[0] + i * st[0]) * m * kk;
                offB[(int) (o + i)] = (s[1] + i * st[1]) * kk * n;
            }
        });
        long rows = batch.size() * m;
        k.parallel().forRange(rows, Math.max(1, 4096 / Math.max(1, kk * n)), (start, end) -> {
            for (long r = start; r < end; r++) {
                int bi = (int) (r / m);
                long i = r % m;
                gemmRow(a, offA[bi] + i * kk, 1, b, offB[bi], n, 1, y, r * n, kk, n, 1.0);
                if (epilogue != null) {
                    epilogue.row(y, r * n, n);
                }
            }
        });
    }

    /**
     * One output row: {@code y[yOff + j] = alpha * sum_p a[aOff + p*aStep] * b[bOff + p*bRow + j*bStep]}.
     */
    static void gemmRow(Tensor a, long aOff, long aStep, Tensor b, long bOff, long bRow, long bStep,
                        Tensor y, long yOff, long kk, long n, double alpha) {
        if (a.dtype() == DType.FLOAT && b.dtype() == DType.FLOAT) {
            MemorySegment as = a.data();
            MemorySegment bs = b.data();
            MemorySegment ys = y.data();
            for (long jj = 0; jj < n; jj++) {
                ys.setAtIndex(Layouts.F32, yOff + jj, 0f);
            }
            for (long p = 0; p < kk; p++) {
                float av = as.getAtIndex(Layouts.F32, aOff + p * aStep);
                if (av == 0) {
                    continue;
                }
                long bp = bOff + p * bRow;
                for (long jj = 0; jj < n; jj++) {
                    long yi = yOff + jj;
                    ys.setAtIndex(Layouts.F32, yi, ys.getAtIndex(Layouts.F32, yi)
                            + av * bs.getAtIndex(Layouts.F32, bp + jj * bStep));
                }
            }
            if (alpha != 1.0) {
                for (long jj = 0; jj < n; jj++) {
                    ys.setAtIndex(Layouts.F32, yOff + jj, (float) (alpha * ys.getAtIndex(Layouts.F32, yOff + jj)));
                }
            }
        } else if (a.dtype().isFloat()) {
            for (long jj = 0; jj < n; jj++) {
                double acc = 0;
                for (long p = 0; p < kk; p++) {
                    acc += a.getDouble(aOff + p * aStep) * b.getDouble(bOff + p * bRow + jj * bStep);
                }
                y.setDouble(yOff + jj, alpha * acc);
            }
        } else {
            for (long jj = 0; jj < n; jj++) {
                long acc = 0;
                for (long p = 0; p < kk; p++) {
                    acc += a.getLong(aOff + p * aStep) * b.getLong(bOff + p * bRow + jj * bStep);
                }
                y.setLong(yOff + jj, alpha == 1.0 ? acc : (long) (alpha * acc));
            }
        }
    }

    static Kernel gemm(BindContext bc) {
        boolean ta = bc.node().attrInt("transA", 0) != 0;
        boolean tb = bc.node().attrInt("transB", 0) != 0;
        double alpha = bc.node().attrFloat("alpha", 1f);
        double beta = bc.node().attrFloat("beta", 1f);
        return k -> {
            Tensor a = k.tensor(0);
            Tensor b = k.tensor(1);
            if (a.rank() != 2 || b.rank() != 2) {
                throw new IllegalArgumentException("Gemm inputs must be 2-D, got " + a.shape() + " and " + b.shape());
            }
            long m = a.shape().dim(ta ? 1 : 0);
            long kk = a.shape().dim(ta ? 0 : 1);
            long n = b.shape().dim(tb ? 0 : 1);
            if (b.shape().dim(tb ? 1 : 0) != kk) {
                throw new IllegalArgumentException("Gemm inner dimensions differ: " + a.shape() + " x " + b.shape());
            }
            Tensor y = k.allocate(0, a.dtype(), Shape.of(m, n));
            long aStep = ta ? m : 1;
            long bRow = tb ? 1 : n;
            long bStep = tb ? kk : 1;
            k.parallel().forRange(m, Math.max(1, 4096 / Math.max(1, kk * n)), (start, end) -> {
                for (long i = start; i < end; i++) {
                    long aOff = ta ? i : i * kk;
                    gemmRow(a, aOff, aStep, b, 0, bRow, bStep, y, i * n, kk, n, alpha);
                }
            });
            if (k.hasInput(2) && beta != 0) {
                Tensor c = k.tensor(2);
                if (!Shapes.broadcast(y.shape(), c.shape()).equals(y.shape())) {
                    throw new IllegalArgumentException("Gemm C " + c.shape() + " does not broadcast to " + y.shape());
                }
                boolean exact = !y.dtype().isFloat() && beta == 1.0;
                Broadcast.to(y.shape(), c.shape()).forEachRow((o, len, s, st) -> {
                    for (long i = 0; i < len; i++) {
                        if (exact) {
                            y.setLong(o + i, y.getLong(o + i) + c.getLong(s[0] + i * st[0]));
                        } else {
                            y.setDouble(o + i, y.getDouble(o + i) + beta * c.getDouble(s[0] + i * st[0]));
                        }
                    }
                });
            }
        };
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.ops.Activation;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.function.DoubleUnaryOperator;

/**
 * {@code kiln.FusedMatMul(A, B, bias)}: {@code act(MatMul(A, B) + bias)} with a bias along the
 * last axis, float32; each output row gets its bias and activation right after the reference
 * MatMul computes it. {@code kiln.FusedGemm}: {@code act(Gemm(A, B, C))}.
 */
final class FusedMatMulKernels {
    private FusedMatMulKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "FusedMatMul", FusedMatMulKernels::fusedMatMul);
        r.add("kiln", "FusedGemm", FusedMatMulKernels::fusedGemm);
    }

    private static Kernel fusedMatMul(BindContext b) {
        DoubleUnaryOperator act = Epilogue.function(Activation.of(b.node()));
        return k -> {
            Tensor a = k.tensor(0);
            Tensor w = k.tensor(1);
            Tensor bias = k.hasInput(2) ? k.tensor(2) : null;
            if (a.dtype() != DType.FLOAT || w.dtype() != DType.FLOAT || (bias != null && bias.dtype() != DType.FLOAT)) {
                throw new IllegalArgumentException("FusedMatMul takes float tensors, got " + a.type() + " and " + w.type());
            }
            if (bias != null && (w.rank() < 2 || a.rank() < 2 || bias.size() != w.shape().dim(-1))) {
                throw new IllegalArgumentException("FusedMatMul bias " + bias.shape() + " does not match the columns of "
                        + w.shape());
            }
            MatMulKernels.product(k, (y, off, n) -> {
                for (long j = 0; j < n; j++) {
                    float v = y.getFloat(off + j);
                    if (bias != null) {
                        v += bias.getFloat(j);
                    }
                    y.setFloat(off + j, act == null ? v : (float) act.applyAsDouble(v));
                }
            });
        };
    }

    private static Kernel fusedGemm(BindContext b) {
        Kernel gemm = MatMulKernels.gemm(b);
        DoubleUnaryOperator act = Epilogue.function(Activation.of(b.node()));
        return k -> {
            Tensor[] out = new Tensor[1];
            gemm.run(new OutputCapture(k, out));
            Tensor y = out[0];
            if (y.dtype() != DType.FLOAT) {
                throw new IllegalArgumentException("FusedGemm takes float tensors, got " + y.dtype());
            }
            if (act != null) {
                for (long i = 0; i < y.size(); i++) {
                    y.setFloat(i, (float) act.applyAsDouble(y.getFloat(i)));
                }
            }
        };
    }
}

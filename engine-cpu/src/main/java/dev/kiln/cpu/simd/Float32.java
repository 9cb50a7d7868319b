package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;

/** Bind-time type checks and small conversions shared by the float32 kernels. */
final class Float32 {
    private Float32() {
    }

    /**
     * True unless a listed input that is present is statically known to be something other than
     * a float32 tensor. An input whose type is unknown at bind time passes: the backend then
     * checks the first input's element type at run time ({@link SimdBackend}).
     */
    static boolean inputs(BindContext ctx, int... indices) {
        for (int i : indices) {
            if (i >= ctx.inputCount() || ctx.node().input(i).isEmpty()) {
                continue;
            }
            ValueType type = ctx.inputType(i);
            if (type != null && !(type instanceof ValueType.TensorType t && t.dtype() == DType.FLOAT)) {
                return false;
            }
        }
        return true;
    }

    /** The elements of a float32 tensor, copied to the heap (for small constants: biases, scales). */
    static float[] array(Tensor t) {
        float[] r = new float[Math.toIntExact(t.size())];
        java.lang.foreign.MemorySegment.copy(t.data(), Layouts.F32, 0, r, 0, r.length);
        return r;
    }

    /** Fails unless the tensor is float32: a kernel bound for float32 met another type at run time. */
    static void require(Tensor t, String what) {
        if (t.dtype() != DType.FLOAT) {
            throw new IllegalArgumentException(what + " must be float32, got " + t.dtype());
        }
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/** Type-agnostic element copies, for kernels that move data without looking at it. */
final class Elements {
    private Elements() {
    }

    /** Copies {@code count} consecutive elements; tensors must share the element type. */
    static void copy(Tensor src, long srcIndex, Tensor dst, long dstIndex, long count) {
        DType t = src.dtype();
        if (t == DType.STRING) {
            for (long i = 0; i < count; i++) {
                dst.setString(dstIndex + i, src.getString(srcIndex + i));
            }
        } else if (t.isPacked()) {
            for (long i = 0; i < count; i++) {
                dst.setLong(dstIndex + i, src.getLong(srcIndex + i));
            }
        } else {
            long w = t.bits() / 8;
            MemorySegment.copy(src.data(), srcIndex * w, dst.data(), dstIndex * w, count * w);
        }
    }
}

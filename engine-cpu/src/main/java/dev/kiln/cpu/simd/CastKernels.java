package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Cast to float32 from int32 and 8-bit integers: the accumulators and gathered rows of quantized
 * models. Java's int-to-float conversion rounds to nearest even, as ONNX requires; every 8-bit
 * value is exact. Other pairs of types run on the reference kernel.
 */
final class CastKernels {
    private CastKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(CastKernels::cast, "Cast");
    }

    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static Kernel cast(BindContext b) {
        if (b.node().attrInt("to", 0) != DType.FLOAT.code()) {
            return null;
        }
        Kernel reference = Reference.kernel(b);
        return ctx -> {
            Tensor x = ctx.tensor(0);
            switch (x.dtype()) {
                case INT32 -> fromInt(x.data(), out(ctx, x), x.size());
                case INT8 -> fromBytes(x.data(), out(ctx, x), x.size(), false);
                case UINT8 -> fromBytes(x.data(), out(ctx, x), x.size(), true);
                default -> reference.run(ctx);
            }
        };
    }

    private static MemorySegment out(KernelContext ctx, Tensor x) {
        return ctx.allocate(0, DType.FLOAT, x.shape()).data();
    }

    private static void fromInt(MemorySegment x, MemorySegment y, long n) {
        long i = 0;
        for (long bound = S.loopBound(n); i < bound; i += S.length()) {
            IntVector.fromMemorySegment(S, x, i * 4, LE).convert(VectorOperators.I2F, 0).intoMemorySegment(y, i * 4, LE);
        }
        for (; i < n; i++) {
            y.setAtIndex(Layouts.F32, i, (float) x.getAtIndex(Layouts.I32, i));
        }
    }

    private static void fromBytes(MemorySegment x, MemorySegment y, long n, boolean unsigned) {
        for (long i = 0; i < n; i++) {
            byte v = x.get(Layouts.I8, i);
            y.setAtIndex(Layouts.F32, i, unsigned ? v & 0xff : v);
        }
    }
}

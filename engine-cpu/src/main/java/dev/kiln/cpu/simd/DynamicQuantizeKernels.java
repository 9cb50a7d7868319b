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
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * DynamicQuantizeLinear on float32, with the specification's float32 arithmetic: the range
 * [min(0, min x), max(0, max x)], {@code scale = range / 255}, {@code zero_point =
 * round(0 - min / scale)} and {@code y = saturate(round(x / scale) + zero_point)}, rounding half
 * to even. The division stays a division (a multiply by the reciprocal rounds differently) and
 * the rounding is exact: the quotient is clamped to the representable range first, which changes
 * nothing after rounding because the bounds are integers, and a float32 below 2^22 in magnitude
 * rounds to an integer, half to even, by adding and subtracting 1.5 * 2^23. Inputs whose range
 * is empty or not finite (a NaN or an infinity) go to the reference kernel.
 */
final class DynamicQuantizeKernels {
    private DynamicQuantizeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(DynamicQuantizeKernels::bind, "DynamicQuantizeLinear");
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Bytes as many as S has floats; null where no such byte vector exists (4 lanes: 32 bits), and the loop is scalar. */
    private static final VectorSpecies<Byte> SB = S.length() >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(S.length() * 8)) : null;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final float ROUND = 0x1.8p23f;
    /** Elements per parallel chunk of the quantizing pass. */
    private static final long GRAIN = 1 << 15;

    private static Kernel bind(BindContext b) {
        Kernel reference = Reference.kernel(b);
        return ctx -> run(ctx, reference);
    }

    private static void run(KernelContext ctx, Kernel reference) {
        Tensor x = ctx.tensor(0);
        MemorySegment in = x.data();
        long n = x.size();
        FloatVector lo = FloatVector.zero(S);
        FloatVector hi = FloatVector.zero(S);
        long i = 0;
        for (long bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromMemorySegment(S, in, i * 4, LE);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        float min = lo.reduceLanes(VectorOperators.MIN);
        float max = hi.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            float v = in.getAtIndex(Layouts.F32, i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float scale = (max - min) / 255f;
        if (!(scale > 0) || !Float.isFinite(scale)) {
            reference.run(ctx);
            return;
        }
        int zp = (int) Math.max(0, Math.min(255, Math.rint(0f - min / scale)));
        Tensor y = ctx.allocate(0, DType.UINT8, x.shape());
        MemorySegment out = y.data();
        ctx.parallel().forRange((n + GRAIN - 1) / GRAIN, 1, (s, e) -> quantize(in, out, s * GRAIN, Math.min(n, e * GRAIN),
                scale, zp, 0));
        ctx.allocate(1, DType.FLOAT, Shape.SCALAR).setFloat(0, scale);
        ctx.allocate(2, DType.UINT8, Shape.SCALAR).setLong(0, zp);
    }

    /**
     * {@code out[i] = saturate(round(in[i] / scale) + zp)} for i in [from, to), into 8-bit values
     * [qmin, qmin + 255] (0 for uint8, -128 for int8); a NaN gives the zero point.
     */
    static void quantize(MemorySegment in, MemorySegment out, long from, long to, float scale, int zp, int qmin) {
        float lo = qmin - zp;
        float hi = qmin + 255 - zp;
        float z = zp;
        long i = from;
        for (long bound = SB == null ? from : from + S.loopBound(to - from); i < bound; i += S.length()) {
            FloatVector x = FloatVector.fromMemorySegment(S, in, i * 4, LE);
            FloatVector q = x.div(scale).max(lo).min(hi).add(ROUND).sub(ROUND).add(z).blend(z, x.test(VectorOperators.IS_NAN));
            // The float holds an integer in [qmin, qmin + 255]; its cast to byte keeps the low eight bits.
            ((ByteVector) q.convertShape(VectorOperators.F2B, SB, 0)).intoMemorySegment(out, i, LE);
        }
        for (; i < to; i++) {
            float v = in.getAtIndex(Layouts.F32, i);
            float q = Math.min(hi, Math.max(lo, v / scale));
            out.set(Layouts.I8, i, v != v ? (byte) zp : (byte) ((int) Math.rint(q) + zp));
        }
    }
}

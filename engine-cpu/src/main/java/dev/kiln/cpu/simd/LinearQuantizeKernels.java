package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * QuantizeLinear (float32 to uint8 or int8) and DequantizeLinear (uint8 or int8 to float32) with
 * one scale and zero point for the whole tensor: the activations of a static QDQ model. Per-axis
 * and blocked scales, other types, and scales that are zero or not finite go to the reference
 * kernel. Quantizing rounds as {@link DynamicQuantizeKernels} does (a float32 division, half to
 * even); dequantizing is {@code (x - zero_point) * scale}, the difference exact in float32.
 */
final class LinearQuantizeKernels {
    private LinearQuantizeKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Bytes as many as S has floats; null where no such byte vector exists, and the loops are scalar. */
    private static final VectorSpecies<Byte> SB = S.length() >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(S.length() * 8)) : null;
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Elements per parallel chunk. */
    private static final long GRAIN = 1 << 15;

    static void register(KernelRegistry r) {
        r.onnx(LinearQuantizeKernels::quantize, "QuantizeLinear");
        r.onnx(LinearQuantizeKernels::dequantize, "DequantizeLinear");
    }

    private static Kernel quantize(BindContext b) {
        long outputDtype = b.node().attrInt("output_dtype", 0);
        if (b.node().attrInt("block_size", 0) != 0 || b.node().attrInt("precision", 0) != 0) {
            return null;
        }
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor zp = k.hasInput(2) ? k.tensor(2) : null;
            DType out = zp != null ? zp.dtype() : outputDtype != 0 ? DType.fromCode((int) outputDtype) : DType.UINT8;
            float s = scale.dtype() == DType.FLOAT && scale.size() == 1 ? scale.getFloat(0) : Float.NaN;
            if (x.dtype() != DType.FLOAT || out != DType.UINT8 && out != DType.INT8 || zp != null && zp.size() != 1
                    || !(s != 0) || !Float.isFinite(s)) {
                reference.run(k);
                return;
            }
            int z = zp == null ? 0 : (int) zp.getLong(0);
            int qmin = out == DType.UINT8 ? 0 : -128;
            Tensor y = k.allocate(0, out, x.shape());
            long n = x.size();
            k.parallel().forRange((n + GRAIN - 1) / GRAIN, 1, (from, to) -> DynamicQuantizeKernels.quantize(x.data(),
                    y.data(), from * GRAIN, Math.min(n, to * GRAIN), s, z, qmin));
        };
    }

    private static Kernel dequantize(BindContext b) {
        long outputDtype = b.node().attrInt("output_dtype", 0);
        if (b.node().attrInt("block_size", 0) != 0) {
            return null;
        }
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor scale = k.tensor(1);
            Tensor zp = k.hasInput(2) ? k.tensor(2) : null;
            boolean bytes = x.dtype() == DType.UINT8 || x.dtype() == DType.INT8;
            if (!bytes || scale.dtype() != DType.FLOAT || scale.size() != 1 || zp != null && (zp.size() != 1
                    || zp.dtype() != x.dtype()) || outputDtype != 0 && outputDtype != DType.FLOAT.code()) {
                reference.run(k);
                return;
            }
            float s = scale.getFloat(0);
            int z = zp == null ? 0 : (int) zp.getLong(0);
            boolean unsigned = x.dtype() == DType.UINT8;
            Tensor y = k.allocate(0, DType.FLOAT, x.shape());
            long n = x.size();
            k.parallel().forRange((n + GRAIN - 1) / GRAIN, 1, (from, to) -> dequantize(x.data(), y.data(),
                    from * GRAIN, Math.min(n, to * GRAIN), s, z, unsigned));
        };
    }

    private static void dequantize(MemorySegment in, MemorySegment out, long from, long to, float scale, int zp,
                                   boolean unsigned) {
        float z = zp;
        long i = from;
        boolean vector = SB != null && SI.length() == S.length();
        for (long bound = vector ? from + S.loopBound(to - from) : from; i < bound; i += S.length()) {
            ByteVector q = ByteVector.fromMemorySegment(SB, in, i, LE);
            FloatVector v = unsigned
                    ? (FloatVector) ((IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, SI, 0))
                            .convert(VectorOperators.I2F, 0)
                    : (FloatVector) q.convertShape(VectorOperators.B2F, S, 0);
            v.sub(z).mul(scale).intoMemorySegment(out, i * 4, LE);
        }
        for (; i < to; i++) {
            byte q = in.get(Layouts.I8, i);
            out.setAtIndex(Layouts.F32, i, ((unsigned ? q & 0xFF : q) - zp) * scale);
        }
    }
}

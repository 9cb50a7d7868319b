package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MatMulInteger and DynamicQuantizeLinear against the reference kernels, bit for bit: odd and
 * prime shapes, tails shorter than a vector, depths past one exactness chunk, extreme values.
 */
class IntegerKernelsTest {
    private final Random rnd = new Random(11);

    @Test
    void matMulIntegerMatchesReference() {
        int[][] mkn = {{1, 1, 1}, {1, 7, 3}, {3, 17, 5}, {13, 31, 37}, {128, 384, 96}, {7, 1031, 19}, {2, 1536, 65}};
        for (int[] s : mkn) {
            for (DType[] types : new DType[][] {{DType.UINT8, DType.INT8}, {DType.UINT8, DType.UINT8}, {DType.INT8, DType.INT8}}) {
                Tensor a = bytes(types[0], s[0], s[1]);
                Tensor b = bytes(types[1], s[1], s[2]);
                OneNode plain = OneNode.of("MatMulInteger").opset(10).input(a).constant(b);
                assertTrue(plain.bindsFast(), plain.describe());
                plain.matchesReference(0, 0);
                OneNode.of("MatMulInteger").opset(10).input(a).constant(b).input(bytes(types[0]))
                        .constant(bytes(types[1])).matchesReference(0, 0);
                OneNode.of("MatMulInteger").opset(10).input(a).constant(b).input(bytes(types[0]))
                        .constant(bytes(types[1], s[2])).matchesReference(0, 0);
            }
        }
    }

    /** The largest products in every position: a depth whose float32 sum would not be exact in one chunk. */
    @Test
    void extremeValuesStayExact() {
        int k = 2053;
        byte[] a = new byte[3 * k];
        byte[] b = new byte[k * 5];
        java.util.Arrays.fill(a, (byte) 255);
        java.util.Arrays.fill(b, (byte) -128);
        b[7] = 127;
        OneNode.of("MatMulInteger").opset(10).input(Tensor.ofBytes(DType.UINT8, new long[] {3, k}, a))
                .constant(Tensor.ofBytes(DType.INT8, new long[] {k, 5}, b))
                .input(Tensor.ofBytes(DType.UINT8, new long[0], new byte[] {0})).matchesReference(0, 0);
        java.util.Arrays.fill(b, (byte) 0);
        OneNode.of("MatMulInteger").opset(10).input(Tensor.ofBytes(DType.UINT8, new long[] {3, k}, a))
                .constant(Tensor.ofBytes(DType.UINT8, new long[] {k, 5}, b))
                .input(Tensor.ofBytes(DType.UINT8, new long[0], new byte[] {0}))
                .constant(Tensor.ofBytes(DType.UINT8, new long[0], new byte[] {(byte) 255})).matchesReference(0, 0);
    }

    @Test
    void matMulIntegerBatchedAndVectorLeft() {
        OneNode.of("MatMulInteger").opset(10).input(bytes(DType.UINT8, 2, 3, 29)).constant(bytes(DType.INT8, 29, 11))
                .matchesReference(0, 0);
        OneNode.of("MatMulInteger").opset(10).input(bytes(DType.UINT8, 29)).constant(bytes(DType.INT8, 29, 11))
                .matchesReference(0, 0);
        // Empty weights, and weights computed at run time, stay on the reference kernel.
        assertTrue(!OneNode.of("MatMulInteger").opset(10).input(bytes(DType.UINT8, 3, 0)).constant(bytes(DType.INT8, 0, 5))
                .bindsFast());
        assertTrue(!OneNode.of("MatMulInteger").opset(10).input(bytes(DType.UINT8, 3, 4)).input(bytes(DType.INT8, 4, 5))
                .bindsFast());
    }

    @Test
    void dynamicQuantizeMatchesReference() {
        for (long[] shape : new long[][] {{1}, {3}, {17}, {5, 31}, {128, 384}, {2, 7, 1536}}) {
            OneNode.of("DynamicQuantizeLinear").opset(11).outputs(3).input(OneNode.random(rnd, -3f, 5f, shape))
                    .matchesReference(0, 0);
            OneNode.of("DynamicQuantizeLinear").opset(11).outputs(3).input(OneNode.random(rnd, 0.5f, 2f, shape))
                    .matchesReference(0, 0);
            OneNode.of("DynamicQuantizeLinear").opset(11).outputs(3).input(OneNode.random(rnd, -2f, -0.25f, shape))
                    .matchesReference(0, 0);
        }
        // Quotients exactly halfway between two integers: round half to even.
        float[] half = new float[67];
        for (int i = 0; i < half.length; i++) {
            half[i] = (i - 33) * 0.5f;
        }
        half[0] = -127.5f;
        half[1] = 127.5f;
        OneNode.of("DynamicQuantizeLinear").opset(11).outputs(3).input(Tensor.ofFloats(new long[] {67}, half))
                .matchesReference(0, 0);
        // All zeros (scale 0) and a NaN go to the reference kernel's handling.
        OneNode.of("DynamicQuantizeLinear").opset(11).outputs(3).input(Tensor.ofFloats(new long[] {40}, new float[40]))
                .matchesReference(0, 0);
        float[] nan = new float[40];
        nan[17] = Float.NaN;
        OneNode.of("DynamicQuantizeLinear").opset(11).outputs(3).input(Tensor.ofFloats(new long[] {40}, nan))
                .matchesReference(0, 0);
    }

    @Test
    void castToFloatMatchesReference() {
        for (long[] shape : new long[][] {{1}, {7}, {3, 37}, {128, 1536}}) {
            int n = (int) java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y);
            int[] v = new int[n];
            for (int i = 0; i < n; i++) {
                // Wide values: int32 above 2^24 round to the nearest float.
                v[i] = i % 3 == 0 ? rnd.nextInt() : rnd.nextInt(1 << 20) - (1 << 19);
            }
            OneNode.of("Cast").opset(13).attr("to", (long) DType.FLOAT.code()).input(Tensor.ofInts(shape, v))
                    .matchesReference(0, 0);
            for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
                OneNode.of("Cast").opset(13).attr("to", (long) DType.FLOAT.code()).input(bytes(t, shape))
                        .matchesReference(0, 0);
            }
        }
        OneNode.of("Cast").opset(13).attr("to", (long) DType.FLOAT.code())
                .input(Tensor.ofLongs(new long[] {3}, 1L << 40, -5, 7)).matchesReference(0, 0);
    }

    private Tensor bytes(DType t, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        byte[] v = new byte[(int) n];
        rnd.nextBytes(v);
        return Tensor.ofBytes(t, shape, v);
    }
}

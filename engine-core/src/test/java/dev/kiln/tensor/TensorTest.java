package dev.kiln.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void integerTypesWrapToTheirWidth() {
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16, DType.UINT16, DType.INT32, DType.UINT32, DType.INT64}) {
            Tensor x = Tensor.allocate(t, Shape.of(3));
            x.setLong(0, 200);
            x.setLong(1, -1);
            x.setLong(2, 70000);
            int bits = t.bits();
            long mask = bits == 64 ? -1L : (1L << bits) - 1;
            for (int i = 0; i < 3; i++) {
                long v = new long[] {200, -1, 70000}[i] & mask;
                if (t.kind() == DType.Kind.SIGNED && bits < 64 && (v >>> (bits - 1)) != 0) {
                    v -= 1L << bits;
                }
                assertEquals(v, x.getLong(i), t + " element " + i);
            }
        }
    }

    @Test
    void packedTypesPackLowNibbleFirst() {
        Tensor x = Tensor.allocate(DType.INT4, Shape.of(3));
        x.setLong(0, -3);
        x.setLong(1, 7);
        x.setLong(2, -8);
        assertEquals(-3, x.getLong(0));
        assertEquals(7, x.getLong(1));
        assertEquals(-8, x.getLong(2));
        assertEquals((byte) 0x7D, x.data().get(Layouts.I8, 0));
        assertEquals(2, x.byteSize());
        Tensor u2 = Tensor.allocate(DType.UINT2, Shape.of(5));
        for (int i = 0; i < 5; i++) {
            u2.setLong(i, i % 4);
        }
        assertEquals((byte) 0b11100100, u2.data().get(Layouts.I8, 0));
        assertEquals(0, u2.getLong(4));
    }

    @Test
    void floatFormatsRoundTrip() {
        Tensor h = Tensor.allocate(DType.FLOAT16, Shape.of(2));
        h.setDouble(0, 1.5);
        h.setDouble(1, 65504);
        assertArrayEquals(new double[] {1.5, 65504}, h.toDoubleArray());
        Tensor b = Tensor.allocate(DType.BFLOAT16, Shape.of(1));
        b.setDouble(0, 1.00390625); // halfway between 1.0 and 1.0078125: rounds to even (1.0)
        assertEquals(1.0, b.getDouble(0));
        Tensor u = Tensor.allocate(DType.UINT64, Shape.of(1));
        u.setLong(0, -1L);
        assertEquals(18446744073709551615.0, u.getDouble(0));
    }

    @Test
    void reshapeIsAViewAndChecksSize() {
        Tensor x = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        Tensor y = x.reshape(Shape.of(3, 2));
        y.setFloat(0, 42);
        assertEquals(42, x.getFloat(0));
        assertThrows(IllegalArgumentException.class, () -> x.reshape(Shape.of(4)));
    }

    @Test
    void factoriesCheckCounts() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(-1));
        assertThrows(ArithmeticException.class, () -> Shape.of(1L << 40, 1L << 40));
        assertTrue(Tensor.ofStrings(Shape.of(2), "a", "b").toStringArray()[1].equals("b"));
    }
}

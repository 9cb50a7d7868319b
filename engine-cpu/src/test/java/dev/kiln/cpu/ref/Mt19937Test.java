package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The generator against values NumPy's {@code RandomState} gives for the same seeds (the ONNX
 * reference implementation's generator), so seeded random operators reproduce its results.
 */
class Mt19937Test {

    @Test
    void rawOutputsMatchTheReferenceSequence() {
        Mt19937 g = new Mt19937(0);
        assertEquals(2357136044L, g.nextInt32());
        assertEquals(2546248239L, g.nextInt32());
        assertEquals(3071714933L, g.nextInt32());
    }

    @Test
    void uniformDoublesMatchRandomSample() {
        Mt19937 g = new Mt19937(0);
        assertEquals(0x1.18fe1565f12a8p-1, g.nextDouble());
        assertEquals(0x1.6e2d4cf608733p-1, g.nextDouble());
        assertEquals(0x1.349d66b6e894bp-1, g.nextDouble());
        // Past the first regeneration of the state (624 words).
        Mt19937 h = new Mt19937(0);
        for (int i = 0; i < 1000; i++) {
            h.nextDouble();
        }
        assertEquals(0x1.2f8e00bae5bb8p-1, h.nextDouble());
    }

    @Test
    void normalsMatchTheLegacyPolarMethod() {
        Mt19937 g = new Mt19937(0);
        assertEquals(0x1.c398ef3e5cfa5p+0, g.nextGaussian());
        assertEquals(0x1.99c2cfacc8953p-2, g.nextGaussian());
        assertEquals(0x1.f51d25222c9abp-1, g.nextGaussian());
    }
}

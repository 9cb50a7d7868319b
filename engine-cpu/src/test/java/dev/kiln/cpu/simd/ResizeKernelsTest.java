package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Nearest Resize by whole factors against the reference kernel, and the cases left to it. */
class ResizeKernelsTest {
    private final Random rnd = new Random(23);

    private OneNode resize(long[] shape, float[] scales, String nearestMode) {
        return OneNode.of("Resize").opset(13).attr("mode", "nearest")
                .attr("coordinate_transformation_mode", "asymmetric").attr("nearest_mode", nearestMode)
                .input(OneNode.random(rnd, shape)).absent().constant(Tensor.ofFloats(new long[] {4}, scales));
    }

    @Test
    void wholeFactorsMatchTheReference() {
        resize(new long[] {1, 3, 5, 7}, new float[] {1, 1, 2, 2}, "floor").matchesReference(0, 0);
        resize(new long[] {2, 5, 13, 11}, new float[] {1, 1, 4, 4}, "floor").matchesReference(0, 0);
        resize(new long[] {1, 2, 3, 17}, new float[] {1, 1, 8, 8}, "floor").matchesReference(0, 0);
        resize(new long[] {1, 1, 1, 1}, new float[] {1, 1, 3, 5}, "floor").matchesReference(0, 0);
        resize(new long[] {1, 64, 40, 40}, new float[] {1, 1, 2, 2}, "floor").matchesReference(0, 0);
        resize(new long[] {3, 2, 9, 4}, new float[] {1, 1, 1, 3}, "floor").matchesReference(0, 0);
    }

    @Test
    void otherScalesGoToTheReferenceAtRunTime() {
        resize(new long[] {1, 3, 5, 7}, new float[] {1, 1, 1.5f, 2}, "floor").matchesReference(0, 0);
        resize(new long[] {1, 3, 5, 7}, new float[] {1, 2, 2, 2}, "floor").matchesReference(0, 0);
        resize(new long[] {1, 3, 5, 7}, new float[] {1, 1, 0.5f, 0.5f}, "floor").matchesReference(0, 0);
    }

    @Test
    void otherRoundingIsLeftToTheReference() {
        assertTrue(resize(new long[] {1, 1, 2, 2}, new float[] {1, 1, 2, 2}, "floor").bindsFast());
        assertFalse(resize(new long[] {1, 1, 2, 2}, new float[] {1, 1, 2, 2}, "round_prefer_floor").bindsFast());
    }
}

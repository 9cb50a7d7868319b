package dev.kiln.cpu.simd;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Softmax and LogSoftmax against the reference kernels, both axis conventions. */
class SoftmaxKernelsTest {
    private final Random rnd = new Random(5);

    @Test
    void softmaxMatchesReference() {
        long[][] shapes = {{1}, {5}, {3, 17}, {2, 3, 33}, {1, 12, 128, 128}, {4, 1000}};
        for (String op : new String[] {"Softmax", "LogSoftmax"}) {
            for (long[] s : shapes) {
                OneNode.of(op).opset(13).input(OneNode.random(rnd, -10, 10, s)).matchesReference(1e-5, 1e-7);
                if (s.length > 1) {
                    OneNode.of(op).opset(11).input(OneNode.random(rnd, -10, 10, s)).matchesReference(1e-5, 1e-7);
                    OneNode.of(op).opset(13).attr("axis", 0L).input(OneNode.random(rnd, -10, 10, s))
                            .matchesReference(1e-5, 1e-7);
                    OneNode.of(op).opset(11).attr("axis", 0L).input(OneNode.random(rnd, -10, 10, s))
                            .matchesReference(1e-5, 1e-7);
                }
            }
        }
    }
}

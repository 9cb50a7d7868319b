package dev.kiln.cpu.simd;

import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reductions against the reference kernels: trailing, leading, middle and all axes. */
class ReduceKernelsTest {
    private final Random rnd = new Random(3);

    @Test
    void reductionsMatchReference() {
        long[][] shapes = {{1}, {7}, {3, 17}, {5, 1, 37}, {2, 3, 5, 7}, {1, 128, 384}};
        long[][] axesList = {{-1}, {0}, {1}, {0, 1}, {1, 2}, {}};
        for (String op : new String[] {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare"}) {
            for (long[] s : shapes) {
                for (long[] axes : axesList) {
                    if (!fits(axes, s.length)) {
                        continue;
                    }
                    for (long keep = 0; keep < 2; keep++) {
                        OneNode n = OneNode.of(op).opset(13).attr("keepdims", keep).input(OneNode.random(rnd, s));
                        if (op.equals("ReduceSum")) {
                            n = OneNode.of(op).opset(13).attr("keepdims", keep).input(OneNode.random(rnd, s));
                            if (axes.length > 0) {
                                n.constant(Tensor.ofLongs(new long[] {axes.length}, axes));
                            }
                        } else if (axes.length > 0) {
                            n.attr("axes", axes);
                        }
                        n.matchesReference(1e-5, 1e-5);
                    }
                }
            }
        }
        // Axes as an input (opset 18) and a non-contiguous axis set (handed to the reference kernel).
        OneNode.of("ReduceMean").opset(18).input(OneNode.random(rnd, 4, 9, 33))
                .constant(Tensor.ofLongs(new long[] {1}, 2)).matchesReference(1e-5, 1e-6);
        OneNode.of("ReduceMax").opset(13).attr("axes", 0L, 2L).input(OneNode.random(rnd, 4, 9, 33))
                .matchesReference(0, 0);
    }

    private static boolean fits(long[] axes, int rank) {
        for (long a : axes) {
            if (a >= rank || a < -rank) {
                return false;
            }
        }
        return true;
    }
}

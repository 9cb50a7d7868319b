package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GridSample against ONNX Runtime for every mode, padding mode and corner alignment, on grids
 * that reach well outside [-1, 1] so that padding and repeated reflection are exercised.
 */
class SamplingOracleTest {

    record Variant(String mode, String padding, int alignCorners, int spatial) {
        @Override
        public String toString() {
            return mode + " " + padding + " align=" + alignCorners + " " + spatial + "-D";
        }
    }

    static Stream<Variant> variants() {
        List<Variant> v = new ArrayList<>();
        for (String mode : List.of("nearest", "linear", "cubic")) {
            for (String padding : List.of("zeros", "border", "reflection")) {
                for (int align = 0; align <= 1; align++) {
                    v.add(new Variant(mode, padding, align, 2));
                    if (!mode.equals("cubic")) {
                        v.add(new Variant(mode, padding, align, 3));
                    }
                }
            }
        }
        return v.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void gridSampleMatchesOnnxRuntime(Variant v) {
        Random rnd = new Random(v.toString().hashCode());
        Tensor x = v.spatial() == 2 ? SingleNode.random(rnd, 2, 3, 5, 7) : SingleNode.random(rnd, 1, 2, 4, 3, 5);
        Tensor grid = v.spatial() == 2 ? SingleNode.random(rnd, 2, 6, 4, 2) : SingleNode.random(rnd, 1, 3, 4, 2, 3);
        for (long i = 0; i < grid.size(); i++) {
            grid.setFloat(i, grid.getFloat(i) * 3.2f);
        }
        String d = SingleNode.node("GridSample", 22).attr("mode", v.mode()).attr("padding_mode", v.padding())
                .attr("align_corners", (long) v.alignCorners()).input(x).input(grid).outputs(1).compareWithOrt(1e-4, 1e-5);
        assertNull(d);
    }
}

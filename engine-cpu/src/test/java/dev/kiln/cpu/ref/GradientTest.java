package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.TestGraphs.info;
import static dev.kiln.cpu.ref.TestGraphs.node;
import static dev.kiln.cpu.ref.TestGraphs.untyped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.UnsupportedOperatorException;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Gradient operator, expanded by the compiler, against derivatives worked out by hand. */
class GradientTest {

    private static Node gradient(List<String> xs, String y, List<String> in, List<String> out) {
        return new Node("g", "Gradient", "ai.onnx.preview.training", in, out,
                List.of(new Attribute.StringsAttr("xs", xs), new Attribute.StringAttr("y", y)));
    }

    private static Graph.Builder graph() {
        return TestGraphs.graph(13).opset("ai.onnx.preview.training", 1);
    }

    @Test
    void broadcastGradientsAreSummedBackToTheInputShape() {
        // y = (a + b) * b with a [2, 3] and b [3]; the gradient of sum(y):
        // dy/da = b on every row; dy/db = sum over rows of (a + 2b).
        Graph g = graph().addInput(info("a", DType.FLOAT, 2, 3)).addInput(info("b", DType.FLOAT, 3))
                .addNode(node("Add", List.of("a", "b"), List.of("s")))
                .addNode(node("Mul", List.of("s", "b"), List.of("y")))
                .addNode(gradient(List.of("a", "b"), "y", List.of("a", "b"), List.of("da", "db")))
                .addOutput(untyped("y")).addOutput(untyped("da")).addOutput(untyped("db")).build();
        Map<String, Value> r = TestGraphs.run(g, Map.of("a", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6),
                "b", Tensor.ofFloats(new long[] {3}, 10, 20, 30)));
        assertArrayEquals(new float[] {10, 20, 30, 10, 20, 30}, ((Tensor) r.get("da")).toFloatArray());
        assertArrayEquals(new float[] {1 + 4 + 40, 2 + 5 + 80, 3 + 6 + 120}, ((Tensor) r.get("db")).toFloatArray());
    }

    @Test
    void unaryRulesAndAnUnusedInput() {
        // y = tanh(x) * exp(x) + sqrt(x); z does not reach y, so its gradient is zero.
        Graph g = graph().addInput(info("x", DType.DOUBLE, 2)).addInput(info("z", DType.DOUBLE, 2))
                .addNode(node("Tanh", List.of("x"), List.of("t")))
                .addNode(node("Exp", List.of("x"), List.of("e")))
                .addNode(node("Mul", List.of("t", "e"), List.of("p")))
                .addNode(node("Sqrt", List.of("x"), List.of("q")))
                .addNode(node("Add", List.of("p", "q"), List.of("y")))
                .addNode(gradient(List.of("x", "z"), "y", List.of("x", "z"), List.of("dx", "dz")))
                .addOutput(untyped("dx")).addOutput(untyped("dz")).build();
        double[] xs = {0.5, 2.0};
        Map<String, Value> r = TestGraphs.run(g, Map.of("x", Tensor.ofDoubles(new long[] {2}, xs),
                "z", Tensor.ofDoubles(new long[] {2}, 7, 8)));
        double[] dx = ((Tensor) r.get("dx")).toDoubleArray();
        for (int i = 0; i < 2; i++) {
            double x = xs[i];
            double t = Math.tanh(x);
            double expected = (1 - t * t) * Math.exp(x) + t * Math.exp(x) + 0.5 / Math.sqrt(x);
            org.junit.jupiter.api.Assertions.assertEquals(expected, dx[i], 1e-12);
        }
        assertArrayEquals(new double[] {0, 0}, ((Tensor) r.get("dz")).toDoubleArray());
    }

    @Test
    void operatorsWithoutARuleAreReported() {
        Graph g = graph().addInput(info("x", DType.FLOAT, 2))
                .addNode(node("Floor", List.of("x"), List.of("y")))
                .addNode(gradient(List.of("x"), "y", List.of("x"), List.of("dx")))
                .addOutput(untyped("dx")).build();
        assertThrows(UnsupportedOperatorException.class, () -> TestGraphs.run(g, Map.of("x",
                Tensor.ofFloats(new long[] {2}, 1, 2))));
    }
}

package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.TestGraphs.graph;
import static dev.kiln.cpu.ref.TestGraphs.info;
import static dev.kiln.cpu.ref.TestGraphs.untyped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Function;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Model-local functions are expanded where no kernel runs them, subgraphs and attribute references included. */
class FunctionInliningTest {

    private static Node node(String op, String domain, List<String> in, List<String> out, Attribute... attrs) {
        return new Node("", op, domain, in, out, List.of(attrs));
    }

    /**
     * local.Scaled(x, c, m) -> (y, b), attribute alpha (default 2):
     * t = x * alpha; y = Clip(c ? t + alpha : t, m); b = ai.onnx.ml.Binarizer(x, threshold = alpha).
     */
    private static Function scaled() {
        Graph then = Graph.builder().name("then")
                .addNode(node("Constant", "", List.of(), List.of("a2"), new Attribute.RefAttr("value_float", "alpha")))
                .addNode(node("Add", "", List.of("t", "a2"), List.of("z_then")))
                .addOutput(untyped("z_then")).build();
        Graph otherwise = Graph.builder().name("else").addOutput(untyped("t")).build();
        List<Node> body = List.of(
                node("Constant", "", List.of(), List.of("a"), new Attribute.RefAttr("value_float", "alpha")),
                node("Mul", "", List.of("x", "a"), List.of("t")),
                node("If", "", List.of("c"), List.of("z"), new Attribute.GraphAttr("then_branch", then),
                        new Attribute.GraphAttr("else_branch", otherwise)),
                node("Clip", "", List.of("z", "m"), List.of("y")),
                node("Binarizer", "ai.onnx.ml", List.of("x"), List.of("b"), new Attribute.RefAttr("threshold", "alpha")));
        return new Function("local", "Scaled", List.of("x", "c", "m"), List.of("y", "b"), List.of(),
                Map.of("alpha", new Attribute.FloatAttr("alpha", 2f)), body, Map.of("", 13, "ai.onnx.ml", 1));
    }

    /** local.Outer(x, c) -> (y): calls Scaled with alpha = 0.5 and no clipping. */
    private static Function outer() {
        return new Function("local", "Outer", List.of("x", "c"), List.of("y", "b"), List.of(), Map.of(),
                List.of(node("Scaled", "local", List.of("x", "c"), List.of("y", "b"),
                        new Attribute.FloatAttr("alpha", 0.5f))),
                Map.of("", 13, "local", 1));
    }

    @Test
    void functionsExpandWithSubgraphsAttributeReferencesAndOptionalInputs() {
        // The model imports neither ai.onnx.ml nor anything but the default domain and its own.
        Graph g = graph(13).opset("local", 1).function(scaled()).function(outer())
                .addInput(info("x", DType.FLOAT, 3)).addInput(info("yes", DType.BOOL)).addInput(info("no", DType.BOOL))
                .addInput(info("zero", DType.FLOAT))
                .addNode(node("Scaled", "local", List.of("x", "yes", "zero"), List.of("y1", "b1")))
                .addNode(node("Outer", "local", List.of("x", "no"), List.of("y2", "b2")))
                .addOutput(untyped("y1")).addOutput(untyped("b1")).addOutput(untyped("y2")).addOutput(untyped("b2"))
                .build();
        Map<String, Value> r = TestGraphs.run(g, Map.of("x", Tensor.ofFloats(new long[] {3}, 1, -2, 3),
                "yes", Tensor.ofBooleans(new long[0], true), "no", Tensor.ofBooleans(new long[0], false),
                "zero", Tensor.scalar(0f)));
        // Call 1: t = [2, -4, 6]; then-branch adds 2: [4, -2, 8]; clipped at 0.
        assertArrayEquals(new float[] {4, 0, 8}, ((Tensor) r.get("y1")).toFloatArray());
        assertArrayEquals(new float[] {0, 0, 1}, ((Tensor) r.get("b1")).toFloatArray());
        // Call 2 (through Outer): alpha 0.5, else-branch, no clipping bound.
        assertArrayEquals(new float[] {0.5f, -1, 1.5f}, ((Tensor) r.get("y2")).toFloatArray());
        assertArrayEquals(new float[] {1, 0, 1}, ((Tensor) r.get("b2")).toFloatArray());
    }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.ResourceLimitException;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory budget meets operators whose output size comes from data (ConstantOfShape, Expand,
 * Tile, Resize) and shapes declared in the model: each request beyond the budget fails with
 * ResourceLimitException naming the node and the tensor, before anything is allocated (so it
 * fails fast even for petabyte sizes), and the session keeps working afterwards.
 */
class LimitsTest {
    private static final long BUDGET = 64L << 20;
    private static final long HUGE = 1L << 20;

    @TempDir
    Path dir;

    private PlanSession open(Graph g, long budget) throws IOException {
        Path f = dir.resolve(g.name() + ".onnx");
        OnnxWriter.write(g, f);
        try (Model m = Kiln.load(f)) {
            return (PlanSession) m.session(Options.defaults().threads(1).memoryBudget(budget));
        }
    }

    /** {@code y = op(x, s)} with x float and s an int64 (or float) tensor supplied at run time. */
    private static Graph graph(String op, DType second, List<Attribute> attrs, String... extraInputs) {
        Graph.Builder b = Graph.builder().name(op).opset("", 18)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT)))
                .addInput(new ValueInfo("s", ValueType.tensor(second)))
                .addOutput(new ValueInfo("y", null));
        List<String> in = extraInputs.length == 0 ? List.of("x", "s") : List.of(extraInputs);
        return b.addNode(new Node("big", op, "", in, List.of("y"), attrs)).build();
    }

    private static void assertRefused(PlanSession s, Map<String, Tensor> in, String op) {
        KilnException e = assertThrows(ResourceLimitException.class, () -> s.run(in));
        assertEquals("'big' (" + op + ")", e.node(), e.getMessage());
        assertEquals("y", e.tensor(), e.getMessage());
        assertTrue(e.getMessage().contains("memory budget") || e.getMessage().contains("overflows"), e.getMessage());
        assertEquals(0, s.memoryHeld() > BUDGET ? 1 : 0, "the session holds no more than its budget");
    }

    private static Tensor x() {
        return Tensor.ofFloats(new long[] {1, 1, 2, 2}, 1, 2, 3, 4);
    }

    @Test
    void dataDependentSizesAreCheckedBeforeAllocating() throws IOException {
        try (PlanSession s = open(graph("Expand", DType.INT64, List.of()), BUDGET)) {
            assertRefused(s, Map.of("x", x(), "s", Tensor.ofLongs(new long[] {4}, HUGE, HUGE, 2, 2)), "Expand");
            assertRefused(s, Map.of("x", x(), "s", Tensor.ofLongs(new long[] {4}, 1L << 40, 1L << 40, 2, 2)), "Expand");
            assertEquals(Shape.of(3, 1, 2, 2), s.run(Map.of("x", x(), "s", Tensor.ofLongs(new long[] {4}, 3, 1, 2, 2)))
                    .get("y").shape(), "the session still runs after a refusal");
        }
        try (PlanSession s = open(graph("Tile", DType.INT64, List.of()), BUDGET)) {
            assertRefused(s, Map.of("x", x(), "s", Tensor.ofLongs(new long[] {4}, HUGE, HUGE, 1, 1)), "Tile");
            assertEquals(Shape.of(1, 1, 4, 2), s.run(Map.of("x", x(), "s", Tensor.ofLongs(new long[] {4}, 1, 1, 2, 1)))
                    .get("y").shape());
        }
        try (PlanSession s = open(graph("Resize", DType.FLOAT, List.of(), "x", "", "s"), BUDGET)) {
            assertRefused(s, Map.of("x", x(), "s", Tensor.ofFloats(new long[] {4}, 1, 1, 1e5f, 1e5f)), "Resize");
            assertRefused(s, Map.of("x", x(), "s", Tensor.ofFloats(new long[] {4}, 1, 1, Float.POSITIVE_INFINITY, 1)), "Resize");
            assertEquals(Shape.of(1, 1, 4, 4), s.run(Map.of("x", x(), "s", Tensor.ofFloats(new long[] {4}, 1, 1, 2, 2)))
                    .get("y").shape());
        }
        Graph cos = Graph.builder().name("cos").opset("", 18)
                .addInput(new ValueInfo("s", ValueType.tensor(DType.INT64)))
                .addOutput(new ValueInfo("y", null))
                .addNode(new Node("big", "ConstantOfShape", "", List.of("s"), List.of("y"), List.of())).build();
        try (PlanSession s = open(cos, BUDGET)) {
            assertRefused(s, Map.of("s", Tensor.ofLongs(new long[] {2}, HUGE, HUGE)), "ConstantOfShape");
            assertArrayEquals(new float[4], s.run(Map.of("s", Tensor.ofLongs(new long[] {2}, 2, 2))).get("y").toFloatArray());
        }
        // Strings live on the heap, and count too: a billion empty strings is 24 GB of references.
        Graph strings = Graph.builder().name("strings").opset("", 18)
                .addInput(new ValueInfo("s", ValueType.tensor(DType.INT64)))
                .addOutput(new ValueInfo("y", null))
                .addNode(new Node("big", "ConstantOfShape", "", List.of("s"), List.of("y"), List.of(
                        new Attribute.TensorAttr("value", Tensor.ofStrings(Shape.of(1), "x"))))).build();
        try (PlanSession s = open(strings, BUDGET)) {
            assertRefused(s, Map.of("s", Tensor.ofLongs(new long[] {1}, 1_000_000_000L)), "ConstantOfShape");
            assertEquals("x", s.run(Map.of("s", Tensor.ofLongs(new long[] {1}, 3))).get("y").getString(2));
        }
    }

    @Test
    void loopScanOutputsCountAsTheyGrow() throws IOException {
        // for i in 0..10^12: emit 1,000 floats; the scan output would be 4 PB.
        Graph body = Graph.builder().name("body").opset("", 18)
                .addInput(new ValueInfo("i", ValueType.tensor(DType.INT64, Shape.SCALAR)))
                .addInput(new ValueInfo("c", ValueType.tensor(DType.BOOL, Shape.SCALAR)))
                .addOutput(new ValueInfo("c_out", null))
                .addOutput(new ValueInfo("row", null))
                .initializer("n", Tensor.ofLongs(new long[] {1}, 1000))
                .addNode(new Node("keep", "Identity", "", List.of("c"), List.of("c_out"), List.of()))
                .addNode(new Node("emit", "ConstantOfShape", "", List.of("n"), List.of("row"), List.of())).build();
        Graph g = Graph.builder().name("loop").opset("", 18)
                .addInput(new ValueInfo("m", ValueType.tensor(DType.INT64, Shape.SCALAR)))
                .addOutput(new ValueInfo("y", null))
                .addNode(new Node("big", "Loop", "", List.of("m", ""), List.of("y"),
                        List.of(new Attribute.GraphAttr("body", body)))).build();
        try (PlanSession s = open(g, 2L << 20)) {
            KilnException e = assertThrows(ResourceLimitException.class, () -> s.run(Map.of("m", Tensor.scalar(1_000_000_000_000L))));
            assertEquals("'big' (Loop)", e.node(), e.getMessage());
            assertTrue(e.getMessage().contains("scan outputs"), e.getMessage());
            assertEquals(Shape.of(3, 1000), s.run(Map.of("m", Tensor.scalar(3L))).get("y").shape());
        }
    }

    @Test
    void declaredSizesAreCheckedWhenTheSessionOpens() {
        Graph g = Graph.builder().name("declared").opset("", 18)
                .addOutput(new ValueInfo("y", null))
                .initializer("shape", Tensor.ofLongs(new long[] {2}, HUGE, HUGE))
                .addNode(new Node("big", "ConstantOfShape", "", List.of("shape"), List.of("y"), List.of())).build();
        KilnException e = assertThrows(ResourceLimitException.class, () -> open(g, BUDGET).close());
        assertEquals("'big' (ConstantOfShape)", e.node(), e.getMessage());
        assertEquals("y", e.tensor(), e.getMessage());
        assertTrue(e.getMessage().contains("declared.onnx"), e.getMessage());
        Graph input = Graph.builder().name("input").opset("", 18)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT, Shape.of(HUGE, HUGE))))
                .addOutput(new ValueInfo("y", null))
                .addNode(new Node("relu", "Relu", "", List.of("x"), List.of("y"), List.of())).build();
        e = assertThrows(ResourceLimitException.class, () -> open(input, BUDGET).close());
        assertEquals("x", e.tensor(), e.getMessage());
    }

    @Test
    void inputsAreTheCallersMemory() throws IOException {
        Graph g = Graph.builder().name("sum").opset("", 18)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT)))
                .addOutput(new ValueInfo("y", null))
                .addNode(new Node("sum", "ReduceSum", "", List.of("x"), List.of("y"),
                        List.of(new Attribute.IntAttr("keepdims", 0)))).build();
        int n = 1 << 19;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1);
        // A 2 MiB input, a 1 MiB budget: the run needs only a scalar.
        try (PlanSession s = open(g, 1L << 20)) {
            assertEquals(n, s.run(Map.of("x", Tensor.ofFloats(new long[] {n}, ones))).get("y").getFloat(0));
        }
    }

    @Test
    void theBudgetIsSharedAndIdleMemoryIsReclaimed() throws IOException {
        // y = Relu(Relu(x)): the intermediate lives in the run state's arena, the output is the caller's.
        Graph g = Graph.builder().name("relu2").opset("", 18)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT)))
                .addOutput(new ValueInfo("y", null))
                .addNode(new Node("a", "Relu", "", List.of("x"), List.of("t"), List.of()))
                .addNode(new Node("b", "Relu", "", List.of("t"), List.of("y"), List.of())).build();
        long budget = 10L << 20;
        int n = (int) (budget * 4 / 10 / 4);
        try (PlanSession s = open(g, budget)) {
            s.run(Map.of("x", Tensor.ofFloats(new long[] {n}, new float[n])));
            long afterFirst = s.memoryHeld();
            assertTrue(afterFirst >= 4L * n, "the idle run state keeps its arena: " + afterFirst);
            // Another shape: a second plan and run state, which only fit once the first is freed.
            s.run(Map.of("x", Tensor.ofFloats(new long[] {n + 1}, new float[n + 1])));
            assertTrue(s.memoryHeld() <= budget - 4L * n, "the idle state was reclaimed: " + s.memoryHeld());
        }
    }
}

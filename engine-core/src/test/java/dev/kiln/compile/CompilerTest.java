package dev.kiln.compile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnException;
import dev.kiln.ModelFormatException;
import dev.kiln.Options;
import dev.kiln.ResourceLimitException;
import dev.kiln.Session;
import dev.kiln.UnsupportedOperatorException;
import dev.kiln.backend.Backends;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class CompilerTest {
    private static final ValueType F4 = ValueType.tensor(DType.FLOAT, Shape.of(4));

    private static Node node(String op, List<String> in, List<String> out, Attribute... attrs) {
        return new Node(op + "_" + out.get(0), op, "test", in, out, List.of(attrs));
    }

    private static Graph.Builder graph() {
        return Graph.builder().name("g").opset("test", 1).addInput(new ValueInfo("x", F4));
    }

    private static Session open(Graph g, Options o) {
        return new PlanSession(new Compiler("test.onnx", o, Backends.all()), g, o, () -> { });
    }

    private static Tensor x() {
        return Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4);
    }

    @Test
    void everyUnsupportedOperatorIsReportedTogether() {
        Graph g = graph().addOutput(new ValueInfo("z", null))
                .addNode(new Node("a", "Nope", "test", List.of("x"), List.of("y"), List.of()))
                .addNode(new Node("b", "Nada", "other", List.of("y"), List.of("z"), List.of()))
                .build();
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class,
                () -> new Compiler("m.onnx", Options.defaults(), Backends.all()).compile(g));
        assertEquals(List.of("other.Nada (node b)", "test.Nope (node a)"), e.operators());
        assertTrue(e.getMessage().startsWith("model m.onnx: "), e.getMessage());
    }

    @Test
    void cyclesAndDanglingReadsAreModelErrors() {
        Graph cycle = graph().addOutput(new ValueInfo("b", null))
                .addNode(node("Copy", List.of("b"), List.of("a")))
                .addNode(node("Copy", List.of("a"), List.of("b")))
                .build();
        KilnException e = assertThrows(ModelFormatException.class, () -> open(cycle, Options.defaults()));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        Graph dangling = graph().addOutput(new ValueInfo("a", null))
                .addNode(node("Add", List.of("x", "ghost"), List.of("a")))
                .build();
        e = assertThrows(ModelFormatException.class, () -> open(dangling, Options.defaults()));
        assertTrue(e.getMessage().contains("'ghost'"), e.getMessage());
    }

    @Test
    void nodesOutOfFileOrderAreSorted() {
        Graph g = graph().addOutput(new ValueInfo("b", null))
                .addNode(node("Scale", List.of("a"), List.of("b"), new Attribute.IntAttr("factor", 3)))
                .addNode(node("Copy", List.of("x"), List.of("a")))
                .build();
        try (Session s = open(g, Options.defaults())) {
            assertArrayEquals(new float[] {3, 6, 9, 12}, s.run(Map.of("x", x())).get("b").toFloatArray());
        }
    }

    /**
     * {@code a} is last read directly by the View at step 1, but the view {@code v} is read at
     * step 3; if the planner freed {@code a} after step 1, {@code b} would reuse its buffer and
     * {@code v} would see {@code b}'s values.
     */
    @Test
    void viewsKeepTheirInputAlive() {
        Graph g = graph().addOutput(new ValueInfo("y", null))
                .addNode(node("Copy", List.of("x"), List.of("a")))
                .addNode(node("View", List.of("a"), List.of("v")))
                .addNode(node("Scale", List.of("x"), List.of("b"), new Attribute.IntAttr("factor", 2)))
                .addNode(node("Add", List.of("v", "b"), List.of("y")))
                .build();
        try (Session s = open(g, Options.defaults().passes("none"))) {
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(new float[] {3, 6, 9, 12}, s.run(Map.of("x", x())).get("y").toFloatArray());
            }
        }
    }

    @Test
    void outputsThatAreViewsOfInputsAreCopied() {
        Graph g = graph().addOutput(new ValueInfo("v", null))
                .addNode(node("View", List.of("x"), List.of("v")))
                .build();
        try (Session s = open(g, Options.defaults())) {
            Tensor in = x();
            Tensor out = s.run(Map.of("x", in)).get("v");
            in.setFloat(0, 100);
            assertEquals(1, out.getFloat(0));
            assertNotSame(in.data(), out.data());
        }
    }

    @Test
    void intermediateBuffersAreReused() {
        Graph.Builder b = graph();
        String prev = "x";
        for (int i = 0; i < 20; i++) {
            b.addNode(node("Scale", List.of(prev), List.of("t" + i), new Attribute.IntAttr("factor", 1)));
            prev = "t" + i;
        }
        Graph g = b.addOutput(new ValueInfo(prev, null)).build();
        // 20 intermediates of 16 bytes each would need 20 buffers; by liveness two suffice, so a
        // budget of three 64-byte buffers must be enough.
        try (Session s = open(g, Options.defaults().memoryBudget(3 * 64))) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, s.run(Map.of("x", x())).get(prev).toFloatArray());
        }
        try (Session s = open(g, Options.defaults().memoryBudget(64))) {
            KilnException e = assertThrows(ResourceLimitException.class, () -> s.run(Map.of("x", x())));
            assertTrue(e.getMessage().contains("budget"), e.getMessage());
        }
    }

    @Test
    void concurrentRunsGetTheirOwnResults() throws Exception {
        Graph g = graph().addOutput(new ValueInfo("y", null))
                .addNode(node("Scale", List.of("x"), List.of("a"), new Attribute.IntAttr("factor", 2)))
                .addNode(node("Add", List.of("a", "x"), List.of("y")))
                .build();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (Session s = open(g, Options.defaults().threads(2))) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 300; i++) {
                        float v = seed * 1000 + i;
                        Tensor y = s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, v, v, v, v))).get("y");
                        for (float f : y.toFloatArray()) {
                            if (f != 3 * v) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * An input with an initializer listed before the one the caller gives (IR below 4 lists
     * every weight among the inputs): a run that leaves it to its initializer must still find
     * the given input, and a run that overrides it must see the override.
     */
    @Test
    void inputsLeftToInitializersDoNotShiftTheOthers() {
        Graph g = Graph.builder().name("g").opset("test", 1)
                .addInput(new ValueInfo("w", F4)).addInput(new ValueInfo("x", F4))
                .initializer("w", Tensor.ofFloats(new long[] {4}, 10, 20, 30, 40))
                .addOutput(new ValueInfo("y", null))
                .addNode(node("Add", List.of("w", "x"), List.of("y")))
                .build();
        try (Session s = open(g, Options.defaults())) {
            assertArrayEquals(new float[] {11, 22, 33, 44}, s.run(Map.of("x", x())).get("y").toFloatArray());
            assertArrayEquals(new float[] {2, 4, 6, 8}, s.run(Map.of("x", x(), "w", x())).get("y").toFloatArray());
        }
    }

    @Test
    void inputsWithInitializersDefaultToThemAndCanBeOverridden() {
        Graph g = graph().addInput(new ValueInfo("w", F4))
                .initializer("w", Tensor.ofFloats(new long[] {4}, 10, 20, 30, 40))
                .addOutput(new ValueInfo("y", null))
                .addNode(node("Add", List.of("x", "w"), List.of("y")))
                .build();
        try (Session s = open(g, Options.defaults())) {
            assertEquals(List.of("x"), s.inputs().stream().map(ValueInfo::name).toList());
            assertArrayEquals(new float[] {11, 22, 33, 44}, s.run(Map.of("x", x())).get("y").toFloatArray());
            assertArrayEquals(new float[] {2, 4, 6, 8}, s.run(Map.of("x", x(), "w", x())).get("y").toFloatArray());
            assertArrayEquals(new float[] {11, 22, 33, 44}, s.run(Map.of("x", x())).get("y").toFloatArray());
        }
    }

    @Test
    void closedSessionsRefuseRuns() {
        Graph g = graph().addOutput(new ValueInfo("a", null)).addNode(node("Copy", List.of("x"), List.of("a"))).build();
        Session s = open(g, Options.defaults());
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.run(Map.of("x", x())));
    }
}

package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.TestGraphs.graph;
import static dev.kiln.cpu.ref.TestGraphs.info;
import static dev.kiln.cpu.ref.TestGraphs.node;
import static dev.kiln.cpu.ref.TestGraphs.run;
import static dev.kiln.cpu.ref.TestGraphs.untyped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.KilnException;
import dev.kiln.ResourceLimitException;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** If, Loop and Scan through the compiler and executor: outer scopes, carried values, scan outputs. */
class ControlFlowTest {

    private static Tensor floats(float... v) {
        return Tensor.ofFloats(new long[] {v.length}, v);
    }

    private static Tensor bool(boolean v) {
        return Tensor.ofBooleans(new long[0], v);
    }

    private static float[] out(Map<String, Value> r, String name) {
        return ((Tensor) r.get(name)).toFloatArray();
    }

    @Test
    void nestedBranchesReadValuesOfEveryEnclosingGraph() {
        // inner branch: z = x * y, where x is a main-graph input and y is computed in the main graph
        Graph inner = Graph.builder().name("inner").addNode(node("Mul", List.of("x", "y"), List.of("z")))
                .addOutput(untyped("z")).build();
        Graph innerElse = Graph.builder().name("innerElse").addNode(node("Sub", List.of("x", "y"), List.of("z2")))
                .addOutput(untyped("z2")).build();
        Graph outerThen = Graph.builder().name("outerThen")
                .addNode(node("If", List.of("c2"), List.of("w"), new Attribute.GraphAttr("then_branch", inner),
                        new Attribute.GraphAttr("else_branch", innerElse)))
                .addOutput(untyped("w")).build();
        Graph outerElse = Graph.builder().name("outerElse").addOutput(untyped("y")).build();
        Graph g = graph(13).addInput(info("x", DType.FLOAT, 3)).addInput(info("c1", DType.BOOL))
                .addInput(info("c2", DType.BOOL))
                .addNode(node("Add", List.of("x", "x"), List.of("y")))
                .addNode(node("If", List.of("c1"), List.of("r"), new Attribute.GraphAttr("then_branch", outerThen),
                        new Attribute.GraphAttr("else_branch", outerElse)))
                .addOutput(untyped("r")).build();
        Tensor x = floats(1, 2, 3);
        assertArrayEquals(new float[] {2, 8, 18}, out(run(g, Map.of("x", x, "c1", bool(true), "c2", bool(true))), "r"));
        assertArrayEquals(new float[] {-1, -2, -3}, out(run(g, Map.of("x", x, "c1", bool(true), "c2", bool(false))), "r"));
        // The else branch returns an outer value as its output: it must come back as a copy.
        assertArrayEquals(new float[] {2, 4, 6}, out(run(g, Map.of("x", x, "c1", bool(false), "c2", bool(true))), "r"));
    }

    /** Loop body: s_out = s_in + iter (as float), scan = s_out, cond_out = iter < limit. */
    private static Graph loopBody() {
        return Graph.builder().name("body")
                .addInput(info("iter", DType.INT64)).addInput(info("cond_in", DType.BOOL))
                .addInput(info("s_in", DType.FLOAT, 2))
                .addNode(node("Cast", List.of("iter"), List.of("iter_f"), new Attribute.IntAttr("to", 1)))
                .addNode(node("Add", List.of("s_in", "iter_f"), List.of("s_out")))
                .addNode(node("Identity", List.of("s_out"), List.of("scan")))
                .addNode(node("Less", List.of("iter", "limit"), List.of("cond_out")))
                .addOutput(untyped("cond_out")).addOutput(untyped("s_out")).addOutput(info("scan", DType.FLOAT, 2))
                .build();
    }

    private static Graph loopGraph() {
        return graph(13).addInput(info("m", DType.INT64)).addInput(info("limit", DType.INT64))
                .addInput(info("s0", DType.FLOAT, 2))
                .addNode(node("Add", List.of("s0", "s0"), List.of("twice")))
                .addNode(node("Loop", List.of("m", "", "twice"), List.of("s_final", "scans"),
                        new Attribute.GraphAttr("body", loopBody())))
                // Reuses the buffer 'twice' had once the Loop is done with it.
                .addNode(node("Mul", List.of("s0", "s0"), List.of("square")))
                .addOutput(untyped("s_final")).addOutput(untyped("scans")).addOutput(untyped("square")).build();
    }

    @Test
    void loopCarriesValuesAndStacksScanOutputs() {
        Map<String, Value> r = run(loopGraph(), Map.of("m", Tensor.scalar(3L), "limit", Tensor.scalar(100L),
                "s0", floats(1, 2)));
        // twice = [2, 4]; iterations add 0, 1, 2
        assertArrayEquals(new float[] {5, 7}, out(r, "s_final"));
        Tensor scans = (Tensor) r.get("scans");
        assertEquals(Shape.of(3, 2), scans.shape());
        assertArrayEquals(new float[] {2, 4, 3, 5, 5, 7}, scans.toFloatArray());
    }

    @Test
    void loopStopsWhenTheBodySaysSo() {
        Map<String, Value> r = run(loopGraph(), Map.of("m", Tensor.scalar(10L), "limit", Tensor.scalar(1L),
                "s0", floats(0, 0)));
        // iter 0: cond_out = 0 < 1 true; iter 1: cond_out = false, so two iterations ran.
        assertArrayEquals(new float[] {1, 1}, out(r, "s_final"));
        assertEquals(Shape.of(2, 2), ((Tensor) r.get("scans")).shape());
    }

    @Test
    void loopWithoutIterationsReturnsItsInitialValuesSafely() {
        Map<String, Value> r = run(loopGraph(), Map.of("m", Tensor.scalar(0L), "limit", Tensor.scalar(1L),
                "s0", floats(3, 5)));
        // The initial value lived in a pooled buffer that 'square' reuses; the result must not change with it.
        assertArrayEquals(new float[] {6, 10}, out(r, "s_final"));
        assertArrayEquals(new float[] {9, 25}, out(r, "square"));
        // No iterations: the scan output is empty, shaped from the body's declared element type.
        assertEquals(Shape.of(0, 2), ((Tensor) r.get("scans")).shape());
    }

    @Test
    void loopThatNeverEndsCanBeInterrupted() throws Exception {
        Graph body = Graph.builder().name("forever")
                .addInput(info("i", DType.INT64)).addInput(info("c", DType.BOOL)).addInput(info("v", DType.FLOAT, 1))
                .addNode(node("Identity", List.of("c"), List.of("c_out")))
                .addNode(node("Identity", List.of("v"), List.of("v_out")))
                .addOutput(untyped("c_out")).addOutput(untyped("v_out")).build();
        Graph g = graph(13).addInput(info("cond", DType.BOOL)).addInput(info("v0", DType.FLOAT, 1))
                .addNode(node("Loop", List.of("", "cond", "v0"), List.of("out"), new Attribute.GraphAttr("body", body)))
                .addOutput(untyped("out")).build();
        AtomicReference<Thread> runner = new AtomicReference<>();
        CompletableFuture<Throwable> done = CompletableFuture.supplyAsync(() -> {
            runner.set(Thread.currentThread());
            try {
                run(g, Map.of("cond", bool(true), "v0", floats(1)));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Thread.sleep(200);
        runner.get().interrupt();
        Throwable t = done.get(10, TimeUnit.SECONDS);
        assertInstanceOf(ResourceLimitException.class, t);
    }

    /** Scan body: acc_out = acc_in + elem; out = acc_out. */
    private static Graph sumBody(long... elemDims) {
        return Graph.builder().name("sum")
                .addInput(info("acc_in", DType.FLOAT, elemDims)).addInput(info("elem", DType.FLOAT, elemDims))
                .addNode(node("Add", List.of("acc_in", "elem"), List.of("acc_out")))
                .addNode(node("Identity", List.of("acc_out"), List.of("out")))
                .addOutput(untyped("acc_out")).addOutput(info("out", DType.FLOAT, elemDims)).build();
    }

    @Test
    void scanHonoursInputAxesAndDirectionsAndOutputAxesAndDirections() {
        // x is [2, 3]; scanning axis 1 in reverse gives columns 2, 1, 0 (each of shape [2]).
        Graph g = graph(16).addInput(info("init", DType.FLOAT, 2)).addInput(info("x", DType.FLOAT, 2, 3))
                .addNode(node("Scan", List.of("init", "x"), List.of("final", "ys"),
                        new Attribute.GraphAttr("body", sumBody(2)), new Attribute.IntAttr("num_scan_inputs", 1),
                        new Attribute.IntsAttr("scan_input_axes", new long[] {1}),
                        new Attribute.IntsAttr("scan_input_directions", new long[] {1}),
                        new Attribute.IntsAttr("scan_output_axes", new long[] {-1}),
                        new Attribute.IntsAttr("scan_output_directions", new long[] {1})))
                .addOutput(untyped("final")).addOutput(untyped("ys")).build();
        Map<String, Value> r = run(g, Map.of("init", floats(0, 0),
                "x", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)));
        assertArrayEquals(new float[] {6, 15}, out(r, "final"));
        // Partial sums in scan order: [3, 6], [5, 11], [6, 15]; prepended, then stacked along the last axis.
        Tensor ys = (Tensor) r.get("ys");
        assertEquals(Shape.of(2, 3), ys.shape());
        assertArrayEquals(new float[] {6, 5, 3, 15, 11, 6}, ys.toFloatArray());
    }

    @Test
    void scan8RunsEachBatchEntryForItsOwnLengthAndPadsWithZeros() {
        Graph g = graph(8).addInput(info("lens", DType.INT64, 2)).addInput(info("init", DType.FLOAT, 2, 1))
                .addInput(info("x", DType.FLOAT, 2, 3, 1))
                .addNode(node("Scan", List.of("lens", "init", "x"), List.of("final", "ys"),
                        new Attribute.GraphAttr("body", sumBody(1)), new Attribute.IntAttr("num_scan_inputs", 1),
                        new Attribute.IntsAttr("directions", new long[] {1})))
                .addOutput(untyped("final")).addOutput(untyped("ys")).build();
        Map<String, Value> r = run(g, Map.of("lens", Tensor.ofLongs(new long[] {2}, 2, 3),
                "init", Tensor.ofFloats(new long[] {2, 1}, 0, 100),
                "x", Tensor.ofFloats(new long[] {2, 3, 1}, 1, 2, 3, 4, 5, 6)));
        // Batch 0 scans [1, 2] backwards: 2, 3; batch 1 scans [4, 5, 6] backwards: 106, 111, 115.
        assertArrayEquals(new float[] {3, 115}, out(r, "final"));
        Tensor ys = (Tensor) r.get("ys");
        assertEquals(Shape.of(2, 3, 1), ys.shape());
        assertArrayEquals(new float[] {2, 3, 0, 106, 111, 115}, ys.toFloatArray());
    }

    @Test
    void aBodyGivenTooFewInputsIsRefused() {
        // An If branch receives no values; one that declares inputs cannot run.
        Graph body = Graph.builder().name("two").addInput(info("a", DType.FLOAT, 1)).addInput(info("b", DType.FLOAT, 1))
                .addNode(node("Add", List.of("a", "b"), List.of("c"))).addOutput(untyped("c")).build();
        Graph g = graph(17).addInput(info("x", DType.FLOAT, 1))
                .addNode(node("If", List.of("t"), List.of("r"), new Attribute.GraphAttr("then_branch", body),
                        new Attribute.GraphAttr("else_branch", body)))
                .addNode(node("Constant", List.of(), List.of("t"), new Attribute.TensorAttr("value", bool(true))))
                .addOutput(untyped("r")).build();
        KilnException e = org.junit.jupiter.api.Assertions.assertThrows(KilnException.class,
                () -> run(g, Map.of("x", floats(1))));
        assertTrue(e.getMessage().contains("needs its input 'a'"), e.getMessage());
    }

    @Test
    void bodyErrorsNameTheInnerNode() {
        Graph bad = Graph.builder().name("bad")
                .addNode(node("Reshape", List.of("x", "shape"), List.of("y"))).addOutput(untyped("y")).build();
        Graph g = graph(13).addInput(info("x", DType.FLOAT, 3)).addInput(info("c", DType.BOOL))
                .addInput(info("shape", DType.INT64, 1))
                .addNode(node("If", List.of("c"), List.of("r"), new Attribute.GraphAttr("then_branch", bad),
                        new Attribute.GraphAttr("else_branch", bad)))
                .addOutput(untyped("r")).build();
        try {
            run(g, Map.of("x", floats(1, 2, 3), "c", bool(true), "shape", Tensor.ofLongs(new long[] {1}, 4)));
        } catch (KilnException e) {
            assertTrue(e.getMessage().contains("Reshape"), e.getMessage());
            return;
        }
        throw new AssertionError("an impossible reshape inside a branch must fail");
    }
}

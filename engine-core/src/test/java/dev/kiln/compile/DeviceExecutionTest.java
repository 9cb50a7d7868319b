package dev.kiln.compile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.BackendUnavailableException;
import dev.kiln.InvalidInputException;
import dev.kiln.Options;
import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The host side of device execution (placement, transfers, device arena, ordering) against {@link FakeDevice}. */
class DeviceExecutionTest {
    private static final ValueType F4 = ValueType.tensor(DType.FLOAT, Shape.of(4));

    private static Node node(String op, List<String> in, List<String> out, Attribute... attrs) {
        return new Node(op + "_" + out.get(0), op, "test", in, out, List.of(attrs));
    }

    private static Graph.Builder graph(String... typed) {
        Graph.Builder b = Graph.builder().name("g").opset("test", 1).addInput(new ValueInfo("x", F4));
        for (String v : typed) {
            b.valueInfo(new ValueInfo(v, F4));
        }
        return b;
    }

    /** x -> Scale(device) -> a -> Copy(host) -> b -> Add w (device) -> c -> View (device) -> y. */
    private static Graph mixed() {
        return graph("a", "b", "c", "y").addOutput(new ValueInfo("y", F4)).addOutput(new ValueInfo("a", F4))
                .initializer("w", Tensor.ofFloats(new long[] {4}, 10, 20, 30, 40))
                .addNode(node("Scale", List.of("x"), List.of("a"), new Attribute.IntAttr("factor", 2)))
                .addNode(node("Copy", List.of("a"), List.of("b")))
                .addNode(node("Add", List.of("b", "w"), List.of("c")))
                .addNode(node("View", List.of("c"), List.of("y")))
                .build();
    }

    private static PlanSession open(Graph g, List<Backend> backends) {
        Options o = Options.defaults().threads(1);
        return new PlanSession(new Compiler("m.onnx", o, backends), g, o, () -> { });
    }

    private static List<String> ops(Plan p) {
        List<String> r = new ArrayList<>();
        for (Step s : p.steps()) {
            r.add(s.node().opType() + (s.onDevice() ? "@dev" : ""));
        }
        return r;
    }

    @Test
    void transfersAreInsertedWhereValuesCrossAndResultsMatchTheHost() {
        FakeDevice dev = new FakeDevice();
        try (PlanSession s = open(mixed(), List.of(dev, new TestBackend()));
             PlanSession host = open(mixed(), List.of(new TestBackend()))) {
            assertEquals(List.of("ToDevice@dev", "Scale@dev", "ToHost@dev", "Copy", "ToDevice@dev", "Add@dev", "View@dev",
                    "ToHost@dev"), ops(s.plan()));
            for (int run = 0; run < 3; run++) {
                Tensor x = Tensor.ofFloats(new long[] {4}, run, 2, 3, 4);
                Map<String, Tensor> got = s.run(Map.of("x", x));
                Map<String, Tensor> want = host.run(Map.of("x", x));
                assertArrayEquals(want.get("y").toFloatArray(), got.get("y").toFloatArray());
                assertArrayEquals(want.get("a").toFloatArray(), got.get("a").toFloatArray());
                assertArrayEquals(new float[] {2 * run + 10, 24, 36, 48}, got.get("y").toFloatArray());
            }
            // The weight went to the device once, not once per run.
            assertEquals(1, dev.constantUploads());
            assertEquals(List.of("upload", "Scale", "download", "upload", "Add", "download"), dev.log().subList(0, 6));
        }
    }

    @Test
    void withSharedMemoryValuesCrossThroughTheirStagingSlotsWithoutQueueCopies() {
        FakeDevice dev = FakeDevice.unified();
        try (PlanSession s = open(mixed(), List.of(dev, new TestBackend()));
             PlanSession host = open(mixed(), List.of(new TestBackend()))) {
            assertEquals(List.of("ToDevice@dev", "Scale@dev", "ToHost@dev", "Copy", "ToDevice@dev", "Add@dev", "View@dev",
                    "ToHost@dev"), ops(s.plan()));
            DevicePlan d = s.plan().device();
            // Everything that crosses lives in staging; only Scale's scratch needs the arena.
            assertEquals(MemoryPlanner.ALIGN, d.arenaSize());
            for (Step step : s.plan().steps()) {
                if (step.kernel() instanceof Transfer) {
                    int deviceSide = step.kernel() == Transfer.TO_DEVICE ? step.outputs()[0] : s.plan().root(step.inputs()[0]);
                    assertEquals(d.stagingOffset(step.outputs()[0]), d.stagingPlace(deviceSide));
                }
            }
            for (int run = 0; run < 3; run++) {
                Tensor x = Tensor.ofFloats(new long[] {4}, run, 2, 3, 4);
                Map<String, Tensor> got = s.run(Map.of("x", x));
                Map<String, Tensor> want = host.run(Map.of("x", x));
                assertArrayEquals(want.get("y").toFloatArray(), got.get("y").toFloatArray());
                assertArrayEquals(want.get("a").toFloatArray(), got.get("a").toFloatArray());
            }
            assertEquals(List.of("Scale", "Add", "Scale", "Add", "Scale", "Add"), dev.log());
        }
    }

    @Test
    void withSharedMemoryConcurrentRunsAndLaterRunsDoNotDisturbEarlierOutputs() throws Exception {
        FakeDevice dev = FakeDevice.unified();
        try (PlanSession s = open(mixed(), List.of(dev, new TestBackend()))) {
            Tensor first = s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 1, 1, 1))).get("y");
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    int seed = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            float v = seed * 100 + i;
                            float[] y = s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, v, v, v, v))).get("y").toFloatArray();
                            assertArrayEquals(new float[] {2 * v + 10, 2 * v + 20, 2 * v + 30, 2 * v + 40}, y);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            assertArrayEquals(new float[] {12, 22, 32, 42}, first.toFloatArray());
        }
    }

    @Test
    void outputsDoNotAliasStagingMemoryOfLaterRuns() {
        try (PlanSession s = open(mixed(), List.of(new FakeDevice(), new TestBackend()))) {
            Tensor first = s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 1, 1, 1))).get("y");
            s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, 5, 5, 5, 5)));
            assertArrayEquals(new float[] {12, 22, 32, 42}, first.toFloatArray());
        }
    }

    @Test
    void deviceArenaSharesMemoryBetweenValuesThatAreNotLiveTogether() {
        Graph.Builder b = graph("v1", "v2", "v3", "v4", "v5", "v6").addOutput(new ValueInfo("v6", F4));
        String prev = "x";
        for (int i = 1; i <= 6; i++) {
            b.addNode(node("Scale", List.of(prev), List.of("v" + i), new Attribute.IntAttr("factor", 2)));
            prev = "v" + i;
        }
        try (PlanSession s = open(b.build(), List.of(new FakeDevice(), new TestBackend()))) {
            Plan p = s.plan();
            DevicePlan d = p.device();
            // Six values and six scratches of 16 bytes: at any step at most two values and one scratch are live.
            assertEquals(3 * MemoryPlanner.ALIGN, d.arenaSize());
            assertNoOverlapOfLiveDeviceBuffers(p);
            assertArrayEquals(new float[] {64, 128, 192, 256},
                    s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4))).get("v6").toFloatArray());
        }
    }

    private static void assertNoOverlapOfLiveDeviceBuffers(Plan p) {
        DevicePlan d = p.device();
        List<long[]> intervals = new ArrayList<>();
        for (int s = 0; s < p.steps().size(); s++) {
            Step step = p.steps().get(s);
            if (d.scratchOffset(s) >= 0) {
                intervals.add(new long[] {s, s, d.scratchOffset(s), step.kernel().deviceScratchBytes()});
            }
            for (int o : step.outputs()) {
                if (o >= 0 && d.onDevice(o) && d.offset(o) >= 0) {
                    int last = s;
                    for (int t = s; t < p.steps().size(); t++) {
                        for (int in : p.steps().get(t).inputs()) {
                            if (in == o) {
                                last = t;
                            }
                        }
                    }
                    intervals.add(new long[] {s, last, d.offset(o), 16});
                }
            }
        }
        for (long[] a : intervals) {
            for (long[] b : intervals) {
                if (a != b && a[0] <= b[1] && b[0] <= a[1]) {
                    assertTrue(a[2] + a[3] <= b[2] || b[2] + b[3] <= a[2], "live device buffers overlap");
                }
            }
        }
    }

    @Test
    void stagingSlotsOfOneRunAreDistinct() {
        try (PlanSession s = open(mixed(), List.of(new FakeDevice(), new TestBackend()))) {
            Plan p = s.plan();
            Set<Long> slots = new HashSet<>();
            int transfers = 0;
            for (Step step : p.steps()) {
                if (step.kernel() instanceof Transfer) {
                    transfers++;
                    slots.add(p.device().stagingOffset(step.outputs()[0]));
                }
            }
            assertEquals(4, transfers);
            assertEquals(4, slots.size());
            assertEquals(4 * MemoryPlanner.ALIGN, p.device().stagingSize());
        }
    }

    @Test
    void nodesWithShapesUnknownAtCompileTimeStayOnTheHost() {
        ValueType dyn = ValueType.tensor(DType.FLOAT, SymbolicShape.of(List.of(Dim.symbol("n"))));
        Graph g = Graph.builder().name("g").opset("test", 1).addInput(new ValueInfo("x", dyn))
                .addOutput(new ValueInfo("y", null))
                .addNode(node("Scale", List.of("x"), List.of("y"), new Attribute.IntAttr("factor", 3)))
                .build();
        FakeDevice dev = new FakeDevice();
        Compiler c = new Compiler("m.onnx", Options.defaults(), List.of(dev, new TestBackend()));
        assertEquals(List.of("Scale"), ops(c.compile(g)));
        assertEquals(DevicePlan.NONE, c.compile(g).device());
    }

    @Test
    void concurrentRunsUseTheirOwnQueuesAndClosingReleasesThem() throws Exception {
        FakeDevice dev = new FakeDevice();
        PlanSession s = open(mixed(), List.of(dev, new TestBackend()));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 25; i++) {
                        float v = seed * 100 + i;
                        float[] y = s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, v, v, v, v))).get("y").toFloatArray();
                        assertArrayEquals(new float[] {2 * v + 10, 2 * v + 20, 2 * v + 30, 2 * v + 40}, y);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
            s.close();
        }
        assertTrue(dev.queuesOpened.get() >= 1);
        assertEquals(dev.queuesOpened.get(), dev.queuesClosed.get());
        assertEquals(1, dev.closed.get());
    }

    @Test
    void aDeviceFailureFailsTheRunAndTheNextRunStillWorks() {
        Graph g = graph("a", "b").addOutput(new ValueInfo("b", F4))
                .addNode(node("Scale", List.of("x"), List.of("a"), new Attribute.IntAttr("factor", 2)))
                .addNode(node("Fail", List.of("a"), List.of("b")))
                .build();
        try (PlanSession s = open(g, List.of(new FakeDevice(), new TestBackend()))) {
            Tensor x = Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4);
            assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", x)));
            assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", x)));
        }
    }

    @Test
    void anUnavailableDeviceIsAnErrorUnlessTheCallerNamedAFallback() {
        List<Backend> candidates = List.of(new FakeDevice("no driver here"), new TestBackend());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.select(List.of("fake-gpu"), candidates));
        assertEquals("backend 'fake-gpu' cannot run here: no driver here", e.getMessage());
        assertThrows(BackendUnavailableException.class, () -> Backends.select(List.of("test", "fake-gpu"), candidates));
        assertEquals(List.of("test"), Backends.select(List.of("fake-gpu", "test"), candidates).stream().map(Backend::name).toList());
        assertEquals(List.of("test"), Backends.select(List.of(), candidates).stream().map(Backend::name).toList());
        assertEquals(List.of("fake-gpu", "test"), Backends.select(List.of(),
                List.of(new FakeDevice(), new TestBackend())).stream().map(Backend::name).toList());
    }
}

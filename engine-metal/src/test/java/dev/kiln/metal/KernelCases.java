package dev.kiln.metal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.Options;
import dev.kiln.compile.Compiler;
import dev.kiln.compile.Step;
import dev.kiln.cpu.ref.ReferenceBackend;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs graphs on the Metal backend over the fake Metal (FFM bindings, fake Objective-C runtime,
 * kernels in the CPU emulator) and on the reference CPU kernels, and compares every output.
 * Each case asserts that the operator under test really ran on the Metal backend, that the
 * fake saw no rule broken, and that every Objective-C object was released when the session
 * closed.
 */
final class KernelCases {
    static final double RTOL = 1e-4;
    static final double ATOL = 1e-5;

    private final FakeMetal fake;
    final Random random;

    KernelCases(FakeMetal fake, long seed) {
        this.fake = fake;
        this.random = new Random(seed);
    }

    /** A node's inputs: graph inputs unless named in {@code constants}, which become initializers. */
    static final class Case {
        final String op;
        final int opset;
        final List<Attribute> attrs = new ArrayList<>();
        final Map<String, Tensor> inputs = new LinkedHashMap<>();
        final List<String> constants = new ArrayList<>();
        final List<String> inputNames = new ArrayList<>();
        int outputs = 1;
        double rtol = RTOL;
        double atol = ATOL;

        Case(String op, int opset) {
            this.op = op;
            this.opset = opset;
        }

        Case in(Tensor t) {
            String name = "x" + inputNames.size();
            inputNames.add(name);
            inputs.put(name, t);
            return this;
        }

        Case constant(Tensor t) {
            in(t);
            constants.add(inputNames.get(inputNames.size() - 1));
            return this;
        }

        Case absent() {
            inputNames.add("");
            return this;
        }

        Case attr(Attribute a) {
            attrs.add(a);
            return this;
        }

        Case ints(String name, long... v) {
            return attr(new Attribute.IntsAttr(name, v));
        }

        Case i(String name, long v) {
            return attr(new Attribute.IntAttr(name, v));
        }

        Case f(String name, float v) {
            return attr(new Attribute.FloatAttr(name, v));
        }

        Case s(String name, String v) {
            return attr(new Attribute.StringAttr(name, v));
        }

        Case outputs(int n) {
            outputs = n;
            return this;
        }

        Case tolerance(double r, double a) {
            rtol = r;
            atol = a;
            return this;
        }

        Graph graph() {
            return graph(null);
        }

        /** The graph, with its outputs declared as {@code types} says (for operators without shape inference). */
        Graph graph(Map<String, Tensor> types) {
            Graph.Builder b = Graph.builder().name(op).opset("", opset);
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                if (constants.contains(e.getKey())) {
                    b.initializer(e.getKey(), e.getValue());
                } else {
                    b.addInput(new ValueInfo(e.getKey(), e.getValue().type()));
                }
            }
            List<String> outs = new ArrayList<>();
            for (int i = 0; i < outputs; i++) {
                outs.add("y" + i);
                Tensor t = types == null ? null : types.get("y" + i);
                b.addOutput(new ValueInfo("y" + i, t == null ? null : t.type()));
            }
            return b.addNode(new Node("n", op, "", inputNames, outs, attrs)).build();
        }

        Map<String, Tensor> feeds() {
            Map<String, Tensor> r = new LinkedHashMap<>(inputs);
            constants.forEach(r::remove);
            return r;
        }
    }

    /** Runs a one-node case both ways and compares. */
    void check(Case c) {
        Options o = Options.defaults().threads(1);
        Map<String, Tensor> want;
        try (PlanSession ref = new PlanSession(new Compiler("case", o, List.of(new ReferenceBackend())), c.graph(), o,
                () -> { })) {
            want = ref.run(c.feeds());
        }
        check(c.graph(want), c.feeds(), c.op, c.rtol, c.atol);
    }

    /** Runs a graph both ways, compares every output, and checks {@code op} ran on Metal. */
    void check(Graph g, Map<String, Tensor> feeds, String op, double rtol, double atol) {
        Options o = Options.defaults().threads(1);
        Map<String, Tensor> want;
        Map<String, Tensor> got;
        try (PlanSession ref = new PlanSession(new Compiler("case", o, List.of(new ReferenceBackend())), g, o, () -> { })) {
            want = ref.run(feeds);
        }
        long live = fake.liveObjects();
        MetalBackend metal = new MetalBackend(MetalDevice::systemDefault, false);
        try (PlanSession s = new PlanSession(new Compiler("case", o, List.of(metal, new ReferenceBackend())), g, o, () -> { })) {
            got = s.run(feeds);
            Map<String, Tensor> again = s.run(feeds);
            boolean bound = false;
            for (Step step : s.plan().steps()) {
                bound |= step.node().opType().equals(op) && MetalBackend.NAME.equals(step.backend());
            }
            assertTrue(bound, op + " did not run on the Metal backend: " + steps(s));
            for (String k : got.keySet()) {
                assertEquals(got.get(k).toString(), again.get(k).toString(), "a second run differs");
            }
        }
        assertEquals("", fake.takeErrors(), "the fake Metal saw rules broken");
        assertEquals(live, fake.liveObjects(), "Objective-C objects were not released");
        assertEquals(0, fake.openPools(), "an autorelease pool was left open");
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            compare(op + " output " + k, want.get(k), got.get(k), rtol, atol);
        }
    }

    private static List<String> steps(PlanSession s) {
        List<String> r = new ArrayList<>();
        for (Step st : s.plan().steps()) {
            r.add(st.node().opType() + "@" + st.backend());
        }
        return r;
    }

    static void compare(String what, Tensor want, Tensor got, double rtol, double atol) {
        assertEquals(want.dtype(), got.dtype(), what);
        assertEquals(want.shape(), got.shape(), what);
        if (want.dtype().isFloat()) {
            double[] w = want.toDoubleArray();
            double[] g = got.toDoubleArray();
            for (int i = 0; i < w.length; i++) {
                boolean same = Double.compare(w[i], g[i]) == 0 || Math.abs(w[i] - g[i]) <= atol + rtol * Math.abs(w[i]);
                if (!same) {
                    fail(what + " " + want.shape() + ": element " + i + " is " + g[i] + ", reference " + w[i]);
                }
            }
        } else {
            assertEquals(java.util.Arrays.toString(want.toLongArray()), java.util.Arrays.toString(got.toLongArray()), what);
        }
    }

    // ------------------------------------------------------------------ random data

    Tensor floats(long[] shape, double lo, double hi) {
        int n = Math.toIntExact(Shape.of(shape).size());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * random.nextDouble());
        }
        return Tensor.ofFloats(shape, v);
    }

    Tensor floats(long... shape) {
        return floats(shape, -2, 2);
    }

    Tensor longs(long[] shape, long lo, long hi) {
        int n = Math.toIntExact(Shape.of(shape).size());
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (long) (random.nextDouble() * (hi - lo));
        }
        return Tensor.ofLongs(shape, v);
    }

    Tensor bytes(DType t, long... shape) {
        int n = Math.toIntExact(Shape.of(shape).size());
        byte[] v = new byte[n];
        random.nextBytes(v);
        return Tensor.ofBytes(t, shape, v);
    }

    static long[] s(long... dims) {
        return dims;
    }
}

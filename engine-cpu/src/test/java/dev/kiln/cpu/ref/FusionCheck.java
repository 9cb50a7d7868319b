package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Options;
import dev.kiln.compile.Compiler;
import dev.kiln.compile.Plan;
import dev.kiln.compile.Step;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds a small graph, runs it with no passes and with the passes under test on the reference
 * backend, checks that the fused operator is in the optimized plan, and compares the outputs.
 */
final class FusionCheck {
    private final Graph.Builder b = Graph.builder().name("check");
    private final Map<String, Tensor> inputs = new LinkedHashMap<>();
    private final SplittableRandom random;
    private int nodes;

    FusionCheck(long seed, int opset) {
        random = new SplittableRandom(seed);
        b.opset("", opset);
    }

    /** A float input of random values in [-scale, scale). */
    FusionCheck input(String name, double scale, long... shape) {
        Tensor t = Tensor.allocate(DType.FLOAT, Shape.of(shape));
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) ((random.nextDouble() * 2 - 1) * scale));
        }
        return input(name, t);
    }

    FusionCheck input(String name, Tensor t) {
        b.addInput(new ValueInfo(name, t.type()));
        inputs.put(name, t);
        return this;
    }

    /** A float initializer of random values in [-scale, scale). */
    FusionCheck weight(String name, double scale, long... shape) {
        return weightIn(name, -scale, scale, shape);
    }

    /** A float initializer of random values in [lo, hi). */
    FusionCheck weightIn(String name, double lo, double hi, long... shape) {
        double width = hi - lo;
        Tensor t = Tensor.allocate(DType.FLOAT, Shape.of(shape));
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) (lo + random.nextDouble() * width));
        }
        b.initializer(name, t);
        return this;
    }

    FusionCheck constant(String name, Tensor t) {
        b.initializer(name, t);
        return this;
    }

    FusionCheck scalar(String name, float v) {
        return constant(name, Tensor.ofFloats(new long[0], v));
    }

    FusionCheck node(String op, List<String> ins, List<String> outs, Attribute... attrs) {
        b.addNode(new Node(op.toLowerCase() + nodes++, op, "", ins, outs, List.of(attrs)));
        return this;
    }

    FusionCheck node(String op, String in, String out, Attribute... attrs) {
        return node(op, List.of(in), List.of(out), attrs);
    }

    FusionCheck node2(String op, String a, String c, String out, Attribute... attrs) {
        return node(op, List.of(a, c), List.of(out), attrs);
    }

    FusionCheck output(String... names) {
        for (String n : names) {
            b.addOutput(new ValueInfo(n, null));
        }
        return this;
    }

    static Attribute ints(String name, long... v) {
        return new Attribute.IntsAttr(name, v);
    }

    static Attribute i(String name, long v) {
        return new Attribute.IntAttr(name, v);
    }

    static Attribute f(String name, float v) {
        return new Attribute.FloatAttr(name, v);
    }

    static Attribute s(String name, String v) {
        return new Attribute.StringAttr(name, v);
    }

    /**
     * Runs unfused and fused; asserts the optimized plan holds {@code fusedOp} and that outputs
     * agree within {@code tol} (absolute plus relative; 0 demands bit equality).
     *
     * @return the optimized plan's steps' operator names
     */
    List<String> check(String fusedOp, double tol, String... passes) {
        Graph g = b.build();
        List<Map<String, Tensor>> results = new ArrayList<>();
        List<String> ops = new ArrayList<>();
        for (String[] p : new String[][] {{"none"}, passes}) {
            Options o = Options.defaults().threads(2).passes(p);
            Compiler compiler = new Compiler("check", o, List.of(new ReferenceBackend()));
            Plan plan = compiler.compile(g, types());
            if (p != passes) {
                assertTrue(plan.steps().stream().noneMatch(st -> st.node().domain().equals("kiln")));
            } else {
                for (Step st : plan.steps()) {
                    ops.add((st.node().domain().isEmpty() ? "" : st.node().domain() + ".") + st.node().opType());
                }
            }
            try (PlanSession s = new PlanSession(compiler, g, o, () -> { })) {
                results.add(s.run(inputs));
            }
        }
        assertTrue(ops.contains(fusedOp), "no " + fusedOp + " in the optimized plan: " + ops);
        for (String name : results.get(0).keySet()) {
            Tensor want = results.get(0).get(name);
            Tensor got = results.get(1).get(name);
            assertEquals(want.shape(), got.shape(), name);
            for (long idx = 0; idx < want.size(); idx++) {
                long k = idx;
                double w = want.getDouble(k);
                double a = got.getDouble(k);
                boolean ok = tol == 0 ? Double.compare(w, a) == 0 || (Double.isNaN(w) && Double.isNaN(a))
                        : Math.abs(w - a) <= tol * (1 + Math.abs(w)) || (Double.isNaN(w) && Double.isNaN(a));
                assertTrue(ok, () -> name + " differs at " + k + ": unfused " + w + ", fused " + a + " (" + fusedOp + ")");
            }
        }
        return ops;
    }

    /** The inputs' exact types: the plan a session runs them with. */
    private Map<String, ValueType> types() {
        Map<String, ValueType> t = new LinkedHashMap<>();
        inputs.forEach((name, value) -> t.put(name, value.type()));
        return t;
    }
}

package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.Options;
import dev.kiln.backend.Backend;
import dev.kiln.compile.Compiler;
import dev.kiln.compile.Plan;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A one-node model run on one backend: how the fast kernels are checked against the reference
 * kernels. Inputs are declared with their full types (so kernels bind with known types);
 * constant inputs become initializers (so weights are packed at bind time, as in a real model).
 */
final class OneNode {
    private final String op;
    private final List<Attribute> attrs = new ArrayList<>();
    private final List<Tensor> inputs = new ArrayList<>();
    private final List<Boolean> constant = new ArrayList<>();
    private int outputs = 1;
    private int opset = 17;
    private String domain = "";

    private OneNode(String op) {
        this.op = op;
    }

    static OneNode of(String op) {
        return new OneNode(op);
    }

    /** An operator of the {@code kiln} domain (the optimizer's fused operators). */
    static OneNode kiln(String op) {
        OneNode n = new OneNode(op);
        n.domain = "kiln";
        return n;
    }

    OneNode opset(int v) {
        opset = v;
        return this;
    }

    OneNode attr(String name, long v) {
        attrs.add(new Attribute.IntAttr(name, v));
        return this;
    }

    OneNode attr(String name, float v) {
        attrs.add(new Attribute.FloatAttr(name, v));
        return this;
    }

    OneNode attr(String name, String v) {
        attrs.add(new Attribute.StringAttr(name, v));
        return this;
    }

    OneNode attr(String name, long... v) {
        attrs.add(new Attribute.IntsAttr(name, v));
        return this;
    }

    /** A run-time input. */
    OneNode input(Tensor t) {
        inputs.add(t);
        constant.add(false);
        return this;
    }

    /** A constant input (an initializer). */
    OneNode constant(Tensor t) {
        inputs.add(t);
        constant.add(true);
        return this;
    }

    /** An absent optional input. */
    OneNode absent() {
        inputs.add(null);
        constant.add(false);
        return this;
    }

    OneNode outputs(int n) {
        outputs = n;
        return this;
    }

    private Graph graph() {
        Graph.Builder g = Graph.builder().name(op).opset("", opset);
        if (!domain.isEmpty()) {
            g.opset(domain, 1);
        }
        List<String> in = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = inputs.get(i);
            if (t == null) {
                in.add("");
                continue;
            }
            String name = "in" + i;
            in.add(name);
            if (constant.get(i)) {
                g.initializer(name, t);
            } else {
                g.addInput(new ValueInfo(name, t.type()));
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            out.add("out" + i);
            g.addOutput(new ValueInfo("out" + i, null));
        }
        g.addNode(new Node("n", op, domain, in, out, attrs));
        return g.build();
    }

    /** Runs the node on {@code backend} alone (failing if it does not bind there) with {@code threads}. */
    List<Tensor> run(Backend backend, int threads) {
        Options options = Options.defaults().threads(threads);
        Compiler compiler = new Compiler(op, options, List.of(backend));
        Graph g = graph();
        Plan plan = compiler.compile(g);
        assertEquals(backend.name(), plan.steps().get(0).backend(), op + " was not bound to " + backend.name());
        Map<String, Tensor> feeds = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) != null && !constant.get(i)) {
                feeds.put("in" + i, inputs.get(i));
            }
        }
        try (PlanSession s = new PlanSession(compiler, g, options, () -> { })) {
            return new ArrayList<>(s.run(feeds).values());
        }
    }

    /** True when the fast backend binds this node. */
    boolean bindsFast() {
        try {
            run(new SimdBackend(), 1);
            return true;
        } catch (AssertionError | dev.kiln.UnsupportedOperatorException e) {
            return false;
        }
    }

    /**
     * Runs the reference kernel and the fast kernel (with 1 and 3 threads) and requires every
     * output element to agree within {@code atol + rtol * |reference|}.
     */
    void matchesReference(double rtol, double atol) {
        List<Tensor> ref = run(new ReferenceBackend(), 1);
        for (int threads : new int[] {1, 3}) {
            List<Tensor> got = run(new SimdBackend(), threads);
            assertEquals(ref.size(), got.size());
            for (int o = 0; o < ref.size(); o++) {
                assertClose(ref.get(o), got.get(o), rtol, atol, describe() + " output " + o + " threads " + threads);
            }
        }
    }

    String describe() {
        StringBuilder sb = new StringBuilder(op).append(attrs.stream().map(a -> a.toString()).toList());
        for (Tensor t : inputs) {
            sb.append(' ').append(t == null ? "-" : t.shape().toString());
        }
        return sb.toString();
    }

    static void assertClose(Tensor ref, Tensor got, double rtol, double atol, String what) {
        assertEquals(ref.dtype(), got.dtype(), what + ": dtype");
        assertEquals(ref.shape(), got.shape(), what + ": shape");
        for (long i = 0; i < ref.size(); i++) {
            double r = ref.getDouble(i);
            double g = got.getDouble(i);
            if (Double.isNaN(r) && Double.isNaN(g) || r == g) {
                continue;
            }
            if (!(Math.abs(r - g) <= atol + rtol * Math.abs(r))) {
                fail(what + ": element " + i + " is " + g + ", reference " + r);
            }
        }
        assertTrue(true);
    }

    /** Uniform floats in [-1, 1). */
    static Tensor random(Random rnd, long... shape) {
        Shape s = Shape.of(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return Tensor.ofFloats(shape, v);
    }

    /** Uniform floats in [lo, hi). */
    static Tensor random(Random rnd, float lo, float hi, long... shape) {
        Shape s = Shape.of(shape);
        float[] v = new float[Math.toIntExact(s.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + rnd.nextFloat() * (hi - lo);
        }
        return Tensor.ofFloats(shape, v);
    }

    static final DType FLOAT = DType.FLOAT;
}

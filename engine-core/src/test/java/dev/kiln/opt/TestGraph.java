package dev.kiln.opt;

import dev.kiln.Options;
import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.compile.Compiler;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds small graphs for optimizer tests and runs passes on them. */
final class TestGraph {
    private final Graph.Builder b = Graph.builder().name("test");
    private int nodes;

    TestGraph(int opset) {
        b.opset("", opset);
    }

    TestGraph() {
        this(17);
    }

    /** A float input; a dim is a number or a symbol name. */
    TestGraph input(String name, Object... dims) {
        return input(name, DType.FLOAT, dims);
    }

    TestGraph input(String name, DType dtype, Object... dims) {
        List<Dim> ds = new ArrayList<>();
        for (Object d : dims) {
            ds.add(d instanceof String s ? Dim.symbol(s) : Dim.of(((Number) d).longValue()));
        }
        b.addInput(new ValueInfo(name, ValueType.tensor(dtype, SymbolicShape.of(ds))));
        return this;
    }

    TestGraph init(String name, Tensor t) {
        b.initializer(name, t);
        return this;
    }

    /** A float initializer of the given shape, filled with 0.1, 0.2, ... (or a constant when {@code fill} is given). */
    TestGraph floats(String name, long[] shape, float... values) {
        long n = Shape.of(shape).size();
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = values.length == 0 ? 0.1f * (i % 7 + 1) : values[i % values.length];
        }
        return init(name, Tensor.ofFloats(shape, v));
    }

    TestGraph scalar(String name, float v) {
        return init(name, Tensor.ofFloats(new long[0], v));
    }

    TestGraph longs(String name, long... v) {
        return init(name, Tensor.ofLongs(new long[] {v.length}, v));
    }

    /** A node: {@code op(ins) -> outs} with attributes given as name, value pairs. */
    TestGraph node(String op, List<String> ins, List<String> outs, Object... attrs) {
        return node("", op, ins, outs, attrs);
    }

    TestGraph node(String domain, String op, List<String> ins, List<String> outs, Object... attrs) {
        List<Attribute> as = new ArrayList<>();
        for (int i = 0; i < attrs.length; i += 2) {
            String n = (String) attrs[i];
            Object v = attrs[i + 1];
            as.add(switch (v) {
                case Long l -> new Attribute.IntAttr(n, l);
                case Integer l -> new Attribute.IntAttr(n, l);
                case Float f -> new Attribute.FloatAttr(n, f);
                case Double f -> new Attribute.FloatAttr(n, f.floatValue());
                case String s -> new Attribute.StringAttr(n, s);
                case long[] l -> new Attribute.IntsAttr(n, l);
                case float[] f -> new Attribute.FloatsAttr(n, f);
                case Tensor t -> new Attribute.TensorAttr(n, t);
                case Graph g -> new Attribute.GraphAttr(n, g);
                default -> throw new IllegalArgumentException("attribute " + n + ": " + v);
            });
        }
        b.addNode(new Node(op.toLowerCase() + (nodes++), op, domain, ins, outs, as));
        return this;
    }

    TestGraph node(String op, String in, String out, Object... attrs) {
        return node(op, List.of(in), List.of(out), attrs);
    }

    TestGraph node2(String op, String a, String c, String out, Object... attrs) {
        return node(op, List.of(a, c), List.of(out), attrs);
    }

    TestGraph output(String... names) {
        for (String n : names) {
            b.addOutput(new ValueInfo(n, null));
        }
        return this;
    }

    Graph build() {
        return b.build();
    }

    /** Runs the named passes (see {@link Passes#select}) on the graph. */
    Compiler.Optimized optimize(String... passes) {
        return optimize(Options.defaults().passes(passes));
    }

    Compiler.Optimized optimize(Options options) {
        return new Compiler("test", options, List.of(new EvalBackend())).optimize(build());
    }

    /** Operator counts of a graph, e.g. {@code {Add=1, kiln.Gelu=1}}. */
    static Map<String, Integer> ops(Graph g) {
        return new TreeMap<>(GraphDump.opCounts(g));
    }

    static Node only(Graph g, String op) {
        List<Node> r = g.nodes().stream().filter(n -> (n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType())
                .equals(op)).toList();
        if (r.size() != 1) {
            throw new AssertionError("expected one " + op + " in " + g.nodes());
        }
        return r.get(0);
    }

    static String str(long[] v) {
        return Arrays.toString(v);
    }

    /**
     * A minimal backend for engine-core tests: it claims every operator (so fusions are not held
     * back by backend preference) and evaluates float and int64 Add and Mul, exactly enough to
     * check that the compiler folds what it can evaluate.
     */
    static class EvalBackend implements Backend {
        @Override
        public String name() {
            return "test-eval";
        }

        @Override
        public Device device() {
            return Device.CPU;
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Kernel bind(BindContext ctx) {
            if (!ctx.node().domain().isEmpty() || !List.of("Add", "Mul").contains(ctx.node().opType())) {
                return null;
            }
            boolean add = ctx.node().opType().equals("Add");
            return k -> {
                Tensor a = k.tensor(0);
                Tensor c = k.tensor(1);
                if (!a.shape().equals(c.shape())) {
                    throw new IllegalArgumentException("test backend: no broadcasting");
                }
                Tensor y = k.allocate(0, a.dtype(), a.shape());
                for (long i = 0; i < a.size(); i++) {
                    y.setDouble(i, add ? a.getDouble(i) + c.getDouble(i) : a.getDouble(i) * c.getDouble(i));
                }
            };
        }

        @Override
        public boolean supports(String domain, String opType) {
            return true;
        }
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.Options;
import dev.kiln.compile.Compiler;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.util.List;
import java.util.Map;

/** Builds small graphs and runs them on the reference backend. */
final class TestGraphs {
    private TestGraphs() {
    }

    static Node node(String op, List<String> in, List<String> out, Attribute... attrs) {
        return new Node("", op, "", in, out, List.of(attrs));
    }

    static ValueInfo info(String name, DType dtype, long... dims) {
        return new ValueInfo(name, ValueType.tensor(dtype, SymbolicShape.known(dims)));
    }

    static ValueInfo untyped(String name) {
        return new ValueInfo(name, null);
    }

    /** A graph builder importing the default domain at {@code opset}. */
    static Graph.Builder graph(int opset) {
        return Graph.builder().name("test").opset("", opset);
    }

    static Map<String, Value> run(Graph g, Map<String, ? extends Value> inputs) {
        return run(g, inputs, Options.defaults().threads(1));
    }

    static Map<String, Value> run(Graph g, Map<String, ? extends Value> inputs, Options options) {
        Compiler compiler = new Compiler("test", options, List.of(new ReferenceBackend()));
        try (PlanSession s = new PlanSession(compiler, g, options, () -> { })) {
            return s.runValues(inputs);
        }
    }
}

package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code kiln inspect MODEL}: inputs, outputs, opsets, op counts, parameters, unsupported ops. */
@Command(name = "inspect", description = "Describe a model: inputs, outputs, opsets, operators, parameters.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .onnx model.")
    Path model;

    @Override
    public Integer call() {
        try (Model m = Kiln.load(model)) {
            Graph g = m.graph();
            System.out.println("model:     " + m.name() + " (IR " + m.irVersion()
                    + (m.producer().isEmpty() ? "" : ", " + m.producer()) + ")");
            StringBuilder ops = new StringBuilder();
            g.opsets().forEach((d, v) -> ops.append(ops.isEmpty() ? "" : ", ").append(d.isEmpty() ? "ai.onnx" : d)
                    .append(' ').append(v));
            System.out.println("opsets:    " + ops);
            System.out.println("inputs:");
            for (ValueInfo v : m.inputs()) {
                System.out.println("  " + v.name() + ": " + (v.type() == null ? "?" : v.type()));
            }
            System.out.println("outputs:");
            for (ValueInfo v : m.outputs()) {
                System.out.println("  " + v.name() + ": " + (v.type() == null ? "?" : v.type()));
            }
            long params = 0;
            for (Tensor t : g.initializers().values()) {
                params += t.size();
            }
            Map<String, Integer> counts = new TreeMap<>();
            countOps(g, counts);
            int nodes = counts.values().stream().mapToInt(Integer::intValue).sum();
            System.out.println("nodes:     " + nodes + " (" + counts.size() + " operator types)");
            System.out.println("params:    " + params + " in " + g.initializers().size() + " initializers");
            System.out.println("operators:");
            counts.forEach((op, n) -> System.out.printf("  %-28s %d%n", op, n));
            List<String> unsupported = m.unsupportedOperators(Options.defaults());
            System.out.println("unsupported: " + (unsupported.isEmpty() ? "none" : String.join("; ", unsupported)));
            return unsupported.isEmpty() ? 0 : 1;
        }
    }

    private static void countOps(Graph g, Map<String, Integer> counts) {
        for (Node n : g.nodes()) {
            counts.merge((n.domain().isEmpty() ? "" : n.domain() + ".") + n.opType(), 1, Integer::sum);
            for (Graph sub : Graph.subgraphs(n)) {
                countOps(sub, counts);
            }
        }
    }
}

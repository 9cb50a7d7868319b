package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.backend.Backends;
import dev.kiln.compile.Compiler;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.opt.GraphDump;
import dev.kiln.opt.PassReport;
import dev.kiln.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln inspect MODEL}: inputs, outputs, opsets, op counts, parameters, unsupported ops;
 * with {@code --optimized}, what each optimization pass did and the optimized graph.
 */
@Command(name = "inspect", description = "Describe a model: inputs, outputs, opsets, operators, parameters.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .onnx model.")
    Path model;

    @Option(names = "--optimized", description = "Also show what each pass did and the optimized graph.")
    boolean optimized;

    @Option(names = "--dump-passes", paramLabel = "DIR",
            description = "Write the graph after each pass into DIR (NN-pass.txt and NN-pass.dot); implies --optimized.")
    Path dumpDir;

    @Option(names = "--passes", description = "Optimization passes: all (default), none, or names (-name removes one).",
            split = ",")
    String[] passes;

    @Option(names = "--dim", paramLabel = "NAME=VALUE", description = "Fix a symbolic dimension, e.g. --dim sequence_length=128.")
    Map<String, Long> dims;

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
            if (optimized || dumpDir != null) {
                printOptimized(m);
            }
            return unsupported.isEmpty() ? 0 : 1;
        }
    }

    private void printOptimized(Model m) {
        Options o = RunCommand.options(null, null, passes);
        if (dims != null) {
            for (Map.Entry<String, Long> e : dims.entrySet()) {
                o = o.bindDim(e.getKey(), e.getValue());
            }
        }
        o = o.dumpPasses(dumpDir);
        // As a session runs it when the caller overrides no initializer: those inputs are constants.
        Graph g = m.graph().toBuilder().inputs(m.inputs()).build();
        Compiler.Optimized r = new Compiler(m.name(), o, Backends.select(o.backends())).optimize(g);
        System.out.println("passes:");
        for (PassReport p : r.reports()) {
            System.out.println("  " + p);
        }
        Map<String, Integer> counts = GraphDump.opCounts(r.graph());
        System.out.println("optimized: " + r.graph().nodes().size() + " nodes (" + counts.size() + " operator types)");
        counts.forEach((op, n) -> System.out.printf("  %-28s %d%n", op, n));
        System.out.println();
        System.out.print(GraphDump.text(r.graph(), r.analysis().types()));
        if (dumpDir != null) {
            System.out.println("graphs after each pass written to " + dumpDir);
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

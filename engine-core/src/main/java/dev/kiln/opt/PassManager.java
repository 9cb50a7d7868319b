package dev.kiln.opt;

import dev.kiln.KilnException;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs passes in order. After each pass that changed the graph it re-runs the analysis from
 * scratch and checks the result ({@link GraphChecker}), so a faulty pass is named at once
 * instead of surfacing as a wrong answer; it can dump the graph after every pass.
 */
public final class PassManager {
    private final List<Pass> passes;
    private final Path dumpDir;

    /**
     * @param passes the passes, in order
     * @param dumpDir where to write {@code NN-pass.txt} and {@code NN-pass.dot} after each pass, or {@code null}
     */
    public PassManager(List<Pass> passes, Path dumpDir) {
        this.passes = List.copyOf(passes);
        this.dumpDir = dumpDir;
    }

    /** The passes, in order. */
    public List<Pass> passes() {
        return passes;
    }

    /** Runs every pass on {@code graph}; returns one report per pass. */
    public List<PassReport> run(OptGraph graph) {
        List<PassReport> reports = new ArrayList<>();
        dump(0, "input", graph);
        for (int i = 0; i < passes.size(); i++) {
            Pass pass = passes.get(i);
            Map<String, ValueType> outputTypes = new HashMap<>();
            for (ValueInfo o : graph.graph().outputs()) {
                ValueType t = graph.type(o.name());
                if (t != null) {
                    outputTypes.put(o.name(), t);
                }
            }
            Map<String, Integer> countsBefore = new HashMap<>(graph.ruleCounts());
            int before = graph.nodes().size();
            long t0 = System.nanoTime();
            try {
                if (pass.run(graph)) {
                    graph.reanalyze();
                }
            } catch (KilnException e) {
                throw new IllegalStateException("optimizer pass '" + pass.name() + "' produced an invalid graph: "
                        + e.getMessage(), e);
            }
            GraphChecker.check(pass.name(), graph.graph(), outputTypes, graph.analysis());
            Map<String, Integer> rewrites = new LinkedHashMap<>();
            graph.ruleCounts().forEach((rule, n) -> {
                int d = n - countsBefore.getOrDefault(rule, 0);
                if (d > 0) {
                    rewrites.put(rule, d);
                }
            });
            reports.add(new PassReport(pass.name(), before, graph.nodes().size(), rewrites,
                    (System.nanoTime() - t0) / 1e6));
            dump(i + 1, pass.name(), graph);
        }
        return reports;
    }

    private void dump(int index, String name, OptGraph graph) {
        if (dumpDir == null) {
            return;
        }
        String base = String.format(Locale.ROOT, "%02d-%s", index, name.replaceAll("[^A-Za-z0-9_.-]", "_"));
        try {
            Files.createDirectories(dumpDir);
            Files.writeString(dumpDir.resolve(base + ".txt"),
                    GraphDump.text(graph.graph(), graph.analysis().types()), StandardCharsets.UTF_8);
            Files.writeString(dumpDir.resolve(base + ".dot"),
                    GraphDump.dot(graph.graph(), graph.analysis().types()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot dump the graph into " + dumpDir + ": " + e.getMessage(), e);
        }
    }
}

package dev.kiln.tests.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.backend.Backends;
import dev.kiln.compile.Compiler;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes shape inference, constant folding, kernel binding and the reference kernels with
 * graphs of valid operators wired at random ({@link RandomGraph}): compile, then run on random
 * inputs of the declared shapes. Seeds: {@code GraphFuzzTestInputs/compileAndRun}.
 */
class GraphFuzzTest {
    private static final FuzzSupport FUZZ = new FuzzSupport("graph");

    @AfterAll
    static void report() {
        FUZZ.report();
    }

    @FuzzTest(maxDuration = "20s")
    void compileAndRun(FuzzedDataProvider data) {
        Graph graph = RandomGraph.build(data);
        long seed = data.consumeLong();
        FUZZ.check(() -> {
            Compiler compiler = new Compiler("fuzz", FuzzSupport.OPTIONS, Backends.select(FuzzSupport.OPTIONS.backends()));
            try (PlanSession session = new PlanSession(compiler, graph, FuzzSupport.OPTIONS, () -> { })) {
                Map<String, Tensor> in = FuzzSupport.inputs(session, seed);
                if (in != null) {
                    session.runValues(in);
                }
            }
        });
    }
}

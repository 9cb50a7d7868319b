package dev.kiln.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Options;
import dev.kiln.backend.Backends;
import dev.kiln.compile.Compiler;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Kiln without {@code --add-modules jdk.incubator.vector}: a child JVM started without the module
 * loads every backend, compiles and runs a MatMul on the reference kernels, and warns once.
 */
class WithoutVectorModuleTest {

    @Test
    void fallsBackToReferenceKernelsAndWarnsOnce() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Probe.class.getName());
        pb.redirectErrorStream(false);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "probe failed:\n" + out + err);
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.contains("bound=cpu-ref"), out);
        assertTrue(out.contains("result=[22.0, 28.0, 49.0, 64.0]"), out);
        int warnings = err.split("Vector API module is not available", -1).length - 1;
        assertEquals(1, warnings, "expected one warning, got:\n" + err);
    }

    /** Runs in the child JVM. */
    public static final class Probe {
        public static void main(String[] args) {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                throw new IllegalStateException("the probe must run without the Vector API module");
            }
            System.out.println("available=" + SimdBackend.available());
            Graph g = Graph.builder().name("mm").opset("", 17)
                    .addInput(new ValueInfo("a", dev.kiln.tensor.ValueType.tensor(dev.kiln.tensor.DType.FLOAT, dev.kiln.tensor.Shape.of(2, 3))))
                    .initializer("b", Tensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6))
                    .addOutput(new ValueInfo("y", null))
                    .addNode(new Node("n", "MatMul", "", List.of("a", "b"), List.of("y"), List.of()))
                    .build();
            for (int i = 0; i < 2; i++) {
                Options o = Options.defaults().threads(1);
                Compiler compiler = new Compiler("mm", o, Backends.select(o.backends()));
                System.out.println("bound=" + compiler.compile(g).steps().get(0).backend());
                try (PlanSession s = new PlanSession(compiler, g, o, () -> { })) {
                    Tensor y = s.run(Map.of("a", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))).get("y");
                    System.out.println("result=" + java.util.Arrays.toString(y.toFloatArray()));
                }
            }
        }
    }
}

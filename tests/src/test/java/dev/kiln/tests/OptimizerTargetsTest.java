package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.backend.Backends;
import dev.kiln.compile.Compiler;
import dev.kiln.opt.GraphDump;
import dev.kiln.opt.PassReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The optimizer's targets on the model fixtures (issue 5): node counts and what is fused. */
class OptimizerTargetsTest {

    private static Compiler.Optimized optimize(String name) {
        Path model = TestData.models().resolve(name).resolve("model.onnx");
        Assumptions.assumeTrue(Files.exists(model), "no " + model + "; run shared/models/fetch");
        try (Model m = Kiln.load(model)) {
            Options o = Options.defaults();
            // As a session runs it when no initializer is overridden (ResNet's IR 3 lists its weights as inputs).
            return new Compiler(m.name(), o, Backends.select(o.backends())).optimize(m.graph().toBuilder().inputs(m.inputs()).build());
        }
    }

    private static Map<String, Integer> rewrites(Compiler.Optimized o) {
        Map<String, Integer> r = new HashMap<>();
        for (PassReport p : o.reports()) {
            p.rewrites().forEach((k, v) -> r.merge(k, v, Integer::sum));
        }
        return r;
    }

    @Test
    void miniLmFusesEveryLayerNormGeluAndAttention() {
        Compiler.Optimized o = optimize("minilm-l6-v2");
        Map<String, Integer> ops = GraphDump.opCounts(o.graph());
        int nodes = o.graph().nodes().size();
        assertTrue(nodes <= 80, "MiniLM has " + nodes + " nodes after optimization: " + ops);
        assertEquals(13, rewrites(o).get("fuse-layer-norm"), ops.toString());
        assertEquals(13, ops.getOrDefault("kiln.LayerNormalization", 0) + ops.getOrDefault("kiln.SkipLayerNormalization", 0));
        assertEquals(6, rewrites(o).get("fuse-gelu-erf"));
        assertEquals(6, ops.get("kiln.Attention"));
        for (String op : new String[] {"Erf", "Softmax", "ReduceMean", "Pow", "Sqrt", "Transpose", "Reshape", "Concat"}) {
            assertEquals(0, ops.getOrDefault(op, 0), op + " left: " + ops);
        }
    }

    @Test
    void resNetFoldsEveryBatchNormAndFusesEveryReluAndResidualAdd() {
        Compiler.Optimized o = optimize("resnet50-randw");
        Map<String, Integer> ops = GraphDump.opCounts(o.graph());
        for (String op : new String[] {"BatchNormalization", "Relu", "Sum", "Add"}) {
            assertEquals(0, ops.getOrDefault(op, 0), op + " left: " + ops);
        }
        assertEquals(53, rewrites(o).get("fold-batchnorm-into-conv"));
        assertEquals(16, rewrites(o).get("fuse-residual-add"));
        assertEquals(49, rewrites(o).get("fuse-activation"));
    }
}

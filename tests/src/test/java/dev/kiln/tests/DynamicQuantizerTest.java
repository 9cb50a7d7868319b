package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Session;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.quantize.DynamicQuantizer;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link DynamicQuantizer} on a small graph: Gemm with transposed weights, alpha, beta and a
 * bias, and a MatMul reading the same activation (one DynamicQuantizeLinear for both). The
 * quantized model's outputs stay within a few quantization steps of the float model's.
 */
class DynamicQuantizerTest {
    private final Random rnd = new Random(7);

    @Test
    void gemmAndMatMulAreQuantizedAndStayClose() throws Exception {
        Graph g = graph(13);
        Graph q = DynamicQuantizer.quantize(g);
        Map<String, Long> ops = q.nodes().stream()
                .collect(java.util.stream.Collectors.groupingBy(Node::opType, java.util.stream.Collectors.counting()));
        assertEquals(1L, ops.get("DynamicQuantizeLinear"), "one activation quantization shared: " + ops);
        assertEquals(2L, ops.get("MatMulInteger"), ops.toString());
        assertTrue(!ops.containsKey("Gemm") && !ops.containsKey("MatMul"), ops.toString());
        assertTrue(!q.initializers().containsKey("W") && !q.initializers().containsKey("V"), "float weights dropped");
        Tensor x = random(4, 37);
        Map<String, float[]> ref = run(g, x);
        Map<String, float[]> got = run(q, x);
        for (String out : List.of("Y", "Z")) {
            float[] r = ref.get(out);
            float[] t = got.get(out);
            assertEquals(r.length, t.length);
            double maxRef = 0;
            double maxErr = 0;
            for (int i = 0; i < r.length; i++) {
                maxRef = Math.max(maxRef, Math.abs(r[i]));
                maxErr = Math.max(maxErr, Math.abs(r[i] - t[i]));
            }
            // 8-bit activations and weights: about 1% of the output range.
            assertTrue(maxErr <= 0.02 * maxRef, out + ": max error " + maxErr + " for outputs up to " + maxRef);
        }
    }

    @Test
    void excludedNodesAndOldOpsetsStayFloat() {
        Graph q = DynamicQuantizer.quantize(graph(13), Set.of("Gemm"));
        assertEquals(1, q.nodes().stream().filter(n -> n.opType().equals("Gemm")).count());
        assertEquals(1, q.nodes().stream().filter(n -> n.opType().equals("MatMulInteger")).count());
        assertThrows(IllegalArgumentException.class, () -> DynamicQuantizer.quantize(graph(10)));
    }

    private Graph graph(int opset) {
        return Graph.builder().name("g").opset("", opset)
                .addInput(new ValueInfo("X", ValueType.tensor(DType.FLOAT, Shape.of(4, 37))))
                .initializer("W", random(23, 37))
                .initializer("C", random(23))
                .initializer("V", random(37, 11))
                .addNode(new Node("gemm", "Gemm", "", List.of("X", "W", "C"), List.of("Y"), List.of(
                        new Attribute.IntAttr("transB", 1), new Attribute.FloatAttr("alpha", 0.5f),
                        new Attribute.FloatAttr("beta", 2f))))
                .addNode(new Node("matmul", "MatMul", "", List.of("X", "V"), List.of("Z"), List.of()))
                .addOutput(new ValueInfo("Y", null))
                .addOutput(new ValueInfo("Z", null))
                .build();
    }

    /** The outputs' values, copied out before the session closes. */
    private static Map<String, float[]> run(Graph g, Tensor x) throws Exception {
        Path f = Files.createTempFile("kiln-quantizer", ".onnx");
        try {
            OnnxWriter.write(g, f);
            try (Model m = Kiln.load(f); Session s = m.session()) {
                Map<String, float[]> r = new java.util.HashMap<>();
                s.run(Map.of("X", x)).forEach((k, t) -> {
                    float[] v = new float[(int) t.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = t.getFloat(i);
                    }
                    r.put(k, v);
                });
                return r;
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private Tensor random(long... shape) {
        float[] v = new float[(int) Shape.of(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return Tensor.ofFloats(shape, v);
    }
}

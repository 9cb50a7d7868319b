package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.TestGraphs.graph;
import static dev.kiln.cpu.ref.TestGraphs.node;
import static dev.kiln.cpu.ref.TestGraphs.untyped;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The random operators: their distributions (means and frequencies within several standard
 * errors of the expected values; seeded, so the tests are deterministic), seeded
 * reproducibility, and fresh values per run without a seed.
 */
class RandomTest {
    private static final int N = 20000;

    private static Tensor runOne(String op, Map<String, Value> inputs, Attribute... attrs) {
        Graph.Builder b = graph(22);
        List<String> in = new ArrayList<>(inputs.keySet());
        for (String name : in) {
            b.addInput(untyped(name));
        }
        Graph g = b.addNode(node(op, in, List.of("y"), attrs)).addOutput(untyped("y")).build();
        return (Tensor) TestGraphs.run(g, inputs).get("y");
    }

    @Test
    void uniformStaysInRangeWithTheRightMeanAndIsReproducibleWhenSeeded() {
        Attribute[] attrs = {new Attribute.IntsAttr("shape", new long[] {N}), new Attribute.FloatAttr("low", -2f),
                new Attribute.FloatAttr("high", 6f), new Attribute.FloatAttr("seed", 7f)};
        Tensor y = runOne("RandomUniform", Map.of(), attrs);
        double sum = 0;
        for (int i = 0; i < N; i++) {
            double v = y.getFloat(i);
            assertTrue(v >= -2 && v < 6, "value " + v);
            sum += v;
        }
        // Standard deviation 8/sqrt(12) ~ 2.31; the standard error of the mean is ~0.016.
        assertEquals(2.0, sum / N, 0.1);
        assertArrayEquals(y.toFloatArray(), runOne("RandomUniform", Map.of(), attrs).toFloatArray());
    }

    @Test
    void unseededRunsDiffer() {
        Attribute shape = new Attribute.IntsAttr("shape", new long[] {16});
        assertFalse(java.util.Arrays.equals(runOne("RandomNormal", Map.of(), shape).toFloatArray(),
                runOne("RandomNormal", Map.of(), shape).toFloatArray()));
    }

    @Test
    void normalLikeHasTheInputsShapeAndTheRequestedMoments() {
        Tensor like = Tensor.allocate(DType.DOUBLE, Shape.of(100, 200));
        Tensor y = runOne("RandomNormalLike", Map.of("x", like), new Attribute.FloatAttr("mean", 3f),
                new Attribute.FloatAttr("scale", 0.5f), new Attribute.FloatAttr("seed", 11f));
        assertEquals(like.shape(), y.shape());
        assertEquals(DType.DOUBLE, y.dtype());
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < y.size(); i++) {
            sum += y.getDouble(i);
            sq += y.getDouble(i) * y.getDouble(i);
        }
        double mean = sum / y.size();
        double var = sq / y.size() - mean * mean;
        assertEquals(3.0, mean, 0.02);
        assertEquals(0.25, var, 0.01);
    }

    @Test
    void bernoulliFollowsItsProbabilities() {
        float[] p = new float[N];
        for (int i = 0; i < N; i++) {
            p[i] = i % 2 == 0 ? 0.2f : (i % 4 == 1 ? 0f : 1f);
        }
        Tensor y = runOne("Bernoulli", Map.of("p", Tensor.ofFloats(new long[] {N}, p)),
                new Attribute.IntAttr("dtype", DType.INT32.code()), new Attribute.FloatAttr("seed", 5f));
        assertEquals(DType.INT32, y.dtype());
        int ones = 0;
        for (int i = 0; i < N; i++) {
            long v = y.getLong(i);
            if (i % 2 == 0) {
                ones += (int) v;
            } else {
                assertEquals(i % 4 == 1 ? 0 : 1, v, "a probability of 0 or 1 is certain");
            }
        }
        // 10000 draws at 0.2: standard error 0.004.
        assertEquals(0.2, ones / (N / 2.0), 0.02);
    }

    @Test
    void multinomialDrawsClassesByProbability() {
        // Log-probabilities of 0.5, 0.3, 0.2 (unnormalized by a constant), and a certain row.
        Tensor logits = Tensor.ofFloats(new long[] {2, 3}, (float) Math.log(5), (float) Math.log(3),
                (float) Math.log(2), 0f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
        Tensor y = runOne("Multinomial", Map.of("x", logits), new Attribute.IntAttr("sample_size", N),
                new Attribute.IntAttr("dtype", DType.INT64.code()), new Attribute.FloatAttr("seed", 3f));
        assertEquals(Shape.of(2, N), y.shape());
        int[] counts = new int[3];
        for (int s = 0; s < N; s++) {
            counts[(int) y.getLong(s)]++;
            assertEquals(0, y.getLong(N + s));
        }
        assertEquals(0.5, counts[0] / (double) N, 0.02);
        assertEquals(0.3, counts[1] / (double) N, 0.02);
        assertEquals(0.2, counts[2] / (double) N, 0.02);
    }

    @Test
    void trainingDropoutKeepsAboutOneMinusRatioAndScales() {
        float[] x = new float[N];
        java.util.Arrays.fill(x, 2f);
        Graph g = graph(13).addInput(untyped("x")).addInput(untyped("r")).addInput(untyped("t"))
                .addNode(node("Dropout", List.of("x", "r", "t"), List.of("y", "mask"), new Attribute.IntAttr("seed", 9)))
                .addOutput(untyped("y")).addOutput(untyped("mask")).build();
        Map<String, Value> r = TestGraphs.run(g, Map.of("x", Tensor.ofFloats(new long[] {N}, x),
                "r", Tensor.scalar(0.25f), "t", Tensor.ofBooleans(new long[0], true)));
        Tensor y = (Tensor) r.get("y");
        Tensor mask = (Tensor) r.get("mask");
        int kept = 0;
        for (int i = 0; i < N; i++) {
            boolean keep = mask.getBoolean(i);
            assertEquals(keep ? 2f / 0.75f : 0f, y.getFloat(i), 1e-6);
            kept += keep ? 1 : 0;
        }
        assertEquals(0.75, kept / (double) N, 0.02);
    }
}

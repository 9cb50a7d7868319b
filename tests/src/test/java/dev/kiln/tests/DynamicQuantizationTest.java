package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.quantize.DynamicQuantizer;
import dev.kiln.tensor.Tensor;
import dev.kiln.text.Embedder;
import dev.kiln.text.Encoding;
import dev.kiln.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link DynamicQuantizer} on all-MiniLM-L6-v2: the written file is small, its sentence
 * embeddings stay close to the float model's, and ONNX Runtime loads it and agrees with Kiln.
 *
 * <p>The first layer's feed-forward down-projection stays in float ({@link #EXCLUDE}): quantizing
 * every linear layer gives a min cosine of 0.989 with the float model over these sentences
 * (langchain4j's all-MiniLM-L6-v2-q, made by ONNX Runtime's quantizer: 0.987); that one layer
 * is the most sensitive, and keeping it lifts the min to 0.992 for 2 points of file size.
 */
class DynamicQuantizationTest {
    /** The layer left in float, as a user would with {@code kiln quantize --exclude}. */
    static final String EXCLUDE = "/encoder/layer.0/output/dense/MatMul";

    private static Path fp32;
    private static Path quantized;

    @BeforeAll
    static void quantize() throws Exception {
        fp32 = TestData.models().resolve("minilm-l6-v2/model.onnx");
        assertTrue(Files.exists(fp32), "no " + fp32 + "; run shared/models/fetch (see README)");
        quantized = TestData.work("quantize").resolve("minilm-l6-v2-dynamic.onnx");
        Files.createDirectories(quantized.getParent());
        try (Model m = Kiln.load(fp32)) {
            OnnxWriter.write(DynamicQuantizer.quantize(m.graph(), java.util.Set.of(EXCLUDE)), quantized);
        }
    }

    @Test
    void fileIsAtMostThirtyPercentOfTheFloatModel() throws Exception {
        double ratio = (double) Files.size(quantized) / Files.size(fp32);
        System.out.printf(Locale.ROOT, "quantized MiniLM: %d bytes, %.3f of the float model%n", Files.size(quantized), ratio);
        assertTrue(ratio <= 0.30, "quantized file is " + ratio + " of the float model");
    }

    /** Mean-pooled, normalized sentence embeddings over 100 sentences: cosine at least 0.99 each. */
    @Test
    void embeddingsStayCloseToTheFloatModel() {
        Path tokenizer = fp32.resolveSibling("tokenizer.json");
        List<String> texts = sentences(100);
        List<float[]> a;
        List<float[]> b;
        try (Embedder e = Embedder.builder().model(fp32).tokenizer(tokenizer).threads(2).build()) {
            a = e.embedAll(texts);
        }
        // One text per run: the activation scales are per tensor, so padding would change them.
        try (Embedder e = Embedder.builder().model(quantized).tokenizer(tokenizer).threads(2).batchSize(1).build()) {
            b = e.embedAll(texts);
        }
        double min = 1;
        double sum = 0;
        for (int i = 0; i < texts.size(); i++) {
            double c = Embedder.cosine(a.get(i), b.get(i));
            min = Math.min(min, c);
            sum += c;
        }
        System.out.printf(Locale.ROOT, "quantized vs float MiniLM, %d sentences: min cosine %.6f, mean %.6f%n",
                texts.size(), min, sum / texts.size());
        assertTrue(min >= 0.99, "min cosine " + min);
    }

    /**
     * ONNX Runtime runs the written model, node by node (no graph optimizations), and its
     * mean-pooled sentence vectors agree with Kiln's at least as closely as the quantized model
     * agrees with the float one (cosine 0.99). Measured 2026-11-23 on an AVX-512 machine: 0.999999
     * (per token 0.996). The bar is not tighter because agreement depends on both engines'
     * float summation orders: a sum that rounds differently in its last bit puts an activation on
     * the other side of a DynamicQuantizeLinear rounding boundary, and the per-tensor scale
     * spreads the step. Kiln's orders are fixed (the same bits on every vector width), ONNX
     * Runtime's follow the machine's vector width; before Kiln's Softmax sum had a fixed order,
     * the same comparison gave 0.9958.
     */
    @Test
    void onnxRuntimeRunsTheQuantizedModelAndAgrees() throws Exception {
        Tokenizer tok = Tokenizer.fromFile(fp32.resolveSibling("tokenizer.json"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        double min = 1;
        double minToken = 1;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             Model m = Kiln.load(quantized);
             Session kiln = m.session(Options.defaults().threads(1))) {
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession ort = env.createSession(quantized.toString(), so)) {
                for (String text : sentences(10)) {
                    Encoding e = tok.encode(text);
                    Map<String, Tensor> in = new LinkedHashMap<>();
                    in.put("input_ids", ids(e.ids()));
                    in.put("attention_mask", ids(e.attentionMask()));
                    in.put("token_type_ids", ids(e.typeIds()));
                    Tensor got = kiln.run(in).get("last_hidden_state");
                    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
                    for (Map.Entry<String, Tensor> x : in.entrySet()) {
                        long[] v = new long[(int) x.getValue().size()];
                        for (int i = 0; i < v.length; i++) {
                            v[i] = x.getValue().getLong(i);
                        }
                        feeds.put(x.getKey(), OnnxTensor.createTensor(env, new long[][] {v}));
                    }
                    try (OrtSession.Result r = ort.run(feeds)) {
                        float[][][] o = (float[][][]) r.get(0).getValue();
                        float[] flat = new float[o[0].length * o[0][0].length];
                        for (int t = 0; t < o[0].length; t++) {
                            System.arraycopy(o[0][t], 0, flat, t * o[0][0].length, o[0][0].length);
                        }
                        Tensor expected = Tensor.ofFloats(got.shape().dims(), flat);
                        minToken = Math.min(minToken, QuantizedModelTest.minTokenCosine(expected, got));
                        min = Math.min(min, Embedder.cosine(meanPool(expected), meanPool(got)));
                    } finally {
                        feeds.values().forEach(OnnxTensor::close);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "quantized MiniLM, Kiln vs ONNX Runtime over 10 sentences: min sentence cosine %.6f,"
                + " min per-token cosine %.6f%n", min, minToken);
        assertTrue(min >= 0.99, "min sentence cosine " + min);
    }

    /** The mean of a [1, tokens, width] output over its tokens (every token attended). */
    private static float[] meanPool(Tensor t) {
        int width = (int) t.shape().dim(-1);
        long tokens = t.size() / width;
        float[] r = new float[width];
        for (long i = 0; i < t.size(); i++) {
            r[(int) (i % width)] += t.getFloat(i) / tokens;
        }
        return r;
    }

    private static Tensor ids(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            l[i] = v[i];
        }
        return Tensor.ofLongs(new long[] {1, v.length}, l);
    }

    /** Plain English sentences of varied length and topic, from a fixed seed. */
    static List<String> sentences(int n) {
        String[] subjects = {"The old fisherman", "A young programmer", "My neighbour's cat", "The city council",
            "Every student in the class", "The quiet librarian", "A team of engineers", "The tired traveller",
            "Our new manager", "The small bakery on the corner"};
        String[] verbs = {"quickly repaired", "carefully studied", "completely ignored", "proudly presented",
            "slowly walked past", "happily shared", "angrily rejected", "accidentally broke", "finally finished",
            "secretly admired"};
        String[] objects = {"the broken bridge", "a report about climate change", "the last piece of chocolate cake",
            "an ancient map of the harbour", "the server that kept crashing", "a letter from the bank",
            "the noisy construction site", "a book on medieval history", "the results of the election",
            "a painting of the mountains at dawn"};
        String[] tails = {"", " before the storm arrived", " during the long winter", " while everyone else was asleep",
            " without saying a word", " because nobody else would", " on a sunny Tuesday morning",
            " after months of waiting", " in front of the whole town", " for reasons no one understood"};
        Random rnd = new Random(2026);
        List<String> r = new ArrayList<>();
        while (r.size() < n) {
            String s = subjects[rnd.nextInt(10)] + " " + verbs[rnd.nextInt(10)] + " " + objects[rnd.nextInt(10)]
                    + tails[rnd.nextInt(10)] + ".";
            if (!r.contains(s)) {
                r.add(s);
            }
        }
        return r;
    }
}

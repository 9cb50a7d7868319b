package dev.kiln.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Kiln's embeddings against langchain4j's in-process all-MiniLM-L6-v2 models (ONNX Runtime and
 * Hugging Face's tokenizer), on the corpus, in this JVM. Kiln reads the model straight from
 * langchain4j's jar.
 *
 * <p>The int8 comparison runs with {@code -Pembedding-parity} (on the whole corpus): today it
 * fails. langchain4j runs ONNX Runtime with all graph optimizations, whose fused kernels
 * (LayerNormalization, the scaled attention product, GELU) round differently from the graph's
 * nodes one by one, and in a dynamically quantized model a last-bit difference can move an
 * activation across an 8-bit rounding boundary: ONNX Runtime with all optimizations against
 * ONNX Runtime without any gives min cosine 0.987 on this corpus. Kiln keeps the per-node
 * rounding (it matches ONNX Runtime without optimizations per token, {@code QuantizedModelTest});
 * see docs/status.md (issue 7) for what matching the fused rounding would take. The float model's
 * vectors agree to cosine 1.000000 on every text.
 */
class EmbedderParityTest {
    private static final double MIN_COSINE = 0.9999;

    @Test
    void float32ModelMatchesLangchain4j() throws Exception {
        compare(new AllMiniLmL6V2EmbeddingModel(), jarOf(AllMiniLmL6V2EmbeddingModel.class), 32);
    }

    /**
     * The int8 model quantizes activations with one scale per tensor, computed over the whole
     * batch; langchain4j runs one text at a time, so Kiln does too here.
     */
    @Test
    @EnabledIfSystemProperty(named = "kiln.parity.int8", matches = "true")
    void quantizedModelMatchesLangchain4j() throws Exception {
        compare(new AllMiniLmL6V2QuantizedEmbeddingModel(), jarOf(AllMiniLmL6V2QuantizedEmbeddingModel.class), 1,
                Integer.getInteger("kiln.parity.int8.every", 1));
    }

    private static void compare(EmbeddingModel reference, Path jar, int batchSize) {
        compare(reference, jar, batchSize, 1);
    }

    private static void compare(EmbeddingModel reference, Path jar, int batchSize, int every) {
        List<String> texts = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        int refused = 0;
        List<Corpus.Text> corpus = Corpus.texts();
        for (int i = 0; i < corpus.size(); i += every) {
            Corpus.Text t = corpus.get(i);
            try {
                expected.add(reference.embed(TextSegment.from(t.text())).content().vector());
                texts.add(t.text());
            } catch (IllegalArgumentException e) {
                // langchain4j refuses texts with no tokens (empty or whitespace only).
                refused++;
            }
        }
        assertTrue(refused <= 5, refused + " texts refused by langchain4j");
        try (Embedder kiln = Embedder.builder().model(jar).threads(2).batchSize(batchSize).build()) {
            assertEquals(384, kiln.dimension());
            List<float[]> actual = kiln.embedAll(texts);
            double min = 1;
            String worst = "";
            int below = 0;
            for (int i = 0; i < texts.size(); i++) {
                double c = Embedder.cosine(expected.get(i), actual.get(i));
                if (c < MIN_COSINE) {
                    below++;
                }
                if (c < min) {
                    min = c;
                    worst = texts.get(i);
                }
            }
            System.out.printf(Locale.ROOT, "%s: %d texts, %d below %.4f, min cosine %.6f (%s)%n", jar.getFileName(),
                    texts.size(), below, MIN_COSINE, min, TokenizerParityTest.quote(worst));
            assertTrue(min >= MIN_COSINE, "min cosine " + min + " for " + TokenizerParityTest.quote(worst));
        }
    }

    private static Path jarOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}

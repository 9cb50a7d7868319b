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
 * fails: on some texts an activation lands on the other side of an 8-bit rounding boundary from
 * ONNX Runtime's, whose float summation orders Kiln does not reproduce everywhere (see
 * docs/status.md; measured min cosine 0.987190 on the whole corpus, 2026-11-23). The pipeline
 * itself is exact: the same token ids, and the float model's vectors agree to cosine 1.000000 on
 * every text.
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
            for (int i = 0; i < texts.size(); i++) {
                double c = Embedder.cosine(expected.get(i), actual.get(i));
                if (c < min) {
                    min = c;
                    worst = texts.get(i);
                }
            }
            System.out.printf(Locale.ROOT, "%s: %d texts, min cosine %.6f (%s)%n", jar.getFileName(), texts.size(), min,
                    TokenizerParityTest.quote(worst));
            assertTrue(min >= MIN_COSINE, "min cosine " + min + " for " + TokenizerParityTest.quote(worst));
        }
    }

    private static Path jarOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}

package dev.kiln.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.text.Embedder;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The adapter is a drop-in for langchain4j's in-process models: same vectors, same contract. */
class KilnEmbeddingModelTest {
    private static final List<String> TEXTS = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "How do I reset my password?",
            "Kiln runs ONNX models in pure Java.",
            "Où est la bibliothèque ? Très bien, merci.",
            "机器学习是人工智能的一个分支。",
            "I love pizza 🍕 and tacos 🌮!",
            "https://example.com/search?q=kiln&lang=en",
            "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }",
            "A",
            "The stock market closed higher today after the central bank held interest rates steady.");

    private static KilnEmbeddingModel kiln;

    @BeforeAll
    static void open() {
        kiln = KilnEmbeddingModel.allMiniLmL6V2();
    }

    @AfterAll
    static void close() {
        kiln.close();
    }

    @Test
    void sameVectorsAsLangchain4j() {
        assertSame(new AllMiniLmL6V2EmbeddingModel(), kiln, TEXTS);
    }

    /** Runs with {@code -Dkiln.parity.int8=true}; fails until the engine's int8 path matches ONNX Runtime (docs/status.md). */
    @Test
    @EnabledIfSystemProperty(named = "kiln.parity.int8", matches = "true")
    void quantizedModelGivesTheSameVectorsAsLangchain4j() {
        try (KilnEmbeddingModel q = KilnEmbeddingModel.allMiniLmL6V2Quantized()) {
            assertSame(new AllMiniLmL6V2QuantizedEmbeddingModel(), q, TEXTS.subList(0, 4));
        }
    }

    /** The int8 model loads from its jar and embeds; its agreement with ONNX Runtime is the test above. */
    @Test
    void quantizedModelLoadsFromItsJar() {
        try (KilnEmbeddingModel q = KilnEmbeddingModel.allMiniLmL6V2Quantized()) {
            assertEquals("all-minilm-l6-v2-q", q.modelName());
            assertEquals(384, q.dimension());
            assertEquals(2, q.embedAll(List.of(TextSegment.from("a"), TextSegment.from("b"))).content().size());
        }
    }

    @Test
    void contract() {
        assertEquals(384, kiln.dimension());
        assertEquals("all-minilm-l6-v2", kiln.modelName());
        Response<List<Embedding>> r = kiln.embedAll(TEXTS.stream().map(TextSegment::from).toList());
        assertEquals(TEXTS.size(), r.content().size());
        int tokens = 0;
        for (String t : TEXTS) {
            tokens += kiln.embedder().tokenizer().encode(t).length();
        }
        assertEquals(tokens, r.tokenUsage().inputTokenCount());
        float[] single = kiln.embed(TEXTS.get(3)).content().vector();
        assertTrue(Embedder.cosine(single, r.content().get(3).vector()) > 0.99999, "batched and single agree");
        double norm = 0;
        for (float x : single) {
            norm += x * x;
        }
        assertEquals(1, norm, 1e-5, "vectors are normalized");
    }

    @Test
    void concurrentCallsGetTheirOwnVectors() throws Exception {
        List<float[]> expected = new ArrayList<>();
        for (String t : TEXTS) {
            expected.add(kiln.embed(t).content().vector());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String t : TEXTS) {
                    futures.add(pool.submit(() -> kiln.embed(t).content().vector()));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                float[] v = futures.get(i).get();
                assertTrue(Embedder.cosine(expected.get(i % TEXTS.size()), v) > 0.99999, "text " + i % TEXTS.size());
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void assertSame(EmbeddingModel reference, EmbeddingModel candidate, List<String> texts) {
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        List<Embedding> expected = reference.embedAll(segments).content();
        List<Embedding> actual = candidate.embedAll(segments).content();
        for (int i = 0; i < texts.size(); i++) {
            double c = Embedder.cosine(expected.get(i).vector(), actual.get(i).vector());
            assertTrue(c >= 0.9999, "cosine " + c + " for " + texts.get(i));
        }
    }
}

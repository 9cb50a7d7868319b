package dev.kiln.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The test corpus ({@code corpus.json}): 350 texts in eleven kinds — English, accents, CJK,
 * emoji, URLs, code, whitespace and control characters, other scripts, special tokens and long
 * words, texts longer than 512 tokens, and mixtures of the others.
 */
final class Corpus {
    /** One text and its kind. */
    record Text(String kind, String text) { }

    private Corpus() {
    }

    static List<Text> texts() {
        try (InputStream in = Corpus.class.getResourceAsStream("corpus.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Text> out = new ArrayList<>();
            for (JsonNode n : root) {
                out.add(new Text(n.get("kind").asText(), n.get("text").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tokenizer.json of langchain4j's all-MiniLM-L6-v2 jar (a test dependency), copied to a file. */
    static Path miniLmTokenizer() {
        return resourceFile("all-minilm-l6-v2-tokenizer.json");
    }

    static Path resourceFile(String resource) {
        try (InputStream in = Corpus.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test class path");
            }
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "kiln-text-tests");
            Files.createDirectories(dir);
            Path f = Files.createTempFile(dir, "res", "-" + resource);
            f.toFile().deleteOnExit();
            Files.copy(in, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

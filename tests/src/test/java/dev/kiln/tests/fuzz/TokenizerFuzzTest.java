package dev.kiln.tests.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.text.Encoding;
import dev.kiln.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the tokenizer with arbitrary text (and text pairs) through the MiniLM tokenizer and
 * checks what comes back (non-negative ids, offsets inside the text, aligned lists). Only
 * KilnException subtypes may escape. Seeds: {@code TokenizerFuzzTestInputs/encode}. Jazzer fuzzes
 * one target per class, so reading {@code tokenizer.json} is {@link TokenizerJsonFuzzTest}.
 */
class TokenizerFuzzTest {
    private static final FuzzSupport ENCODE = new FuzzSupport("tokenizer-encode");
    private static Tokenizer minilm;

    @AfterAll
    static void report() {
        ENCODE.report();
    }

    private static synchronized Tokenizer minilm() {
        if (minilm == null) {
            Path file = dev.kiln.tests.TestData.models().resolve("minilm-l6-v2/tokenizer.json");
            if (!Files.exists(file)) {
                throw new UncheckedIOException(new IOException("no " + file + "; run shared/models/fetch"));
            }
            minilm = Tokenizer.fromFile(file);
        }
        return minilm;
    }

    @FuzzTest(maxDuration = "20s")
    void encode(FuzzedDataProvider data) {
        Tokenizer t = minilm();
        boolean pair = data.consumeBoolean();
        String first = data.consumeString(2000);
        String second = pair ? data.consumeRemainingAsString() : null;
        ENCODE.check(() -> {
            Encoding e = pair ? t.encodePair(first, second) : t.encode(first);
            check(e, first, second);
        });
    }

    private static void check(Encoding e, String first, String second) {
        int n = e.ids().length;
        if (e.typeIds().length != n || e.attentionMask().length != n || e.tokens().length != n) {
            throw new AssertionError("encoding lists differ in length");
        }
        int longest = Math.max(first.length(), second == null ? 0 : second.length());
        for (int i = 0; i < n; i++) {
            if (e.ids()[i] < 0) {
                throw new AssertionError("negative id " + e.ids()[i]);
            }
            if (e.start(i) < 0 || e.end(i) < e.start(i) || e.end(i) > longest) {
                throw new AssertionError("offset [" + e.start(i) + ", " + e.end(i) + ") outside the text");
            }
        }
    }
}

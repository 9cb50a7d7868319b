package dev.kiln.tests.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.text.Tokenizer;
import java.io.ByteArrayInputStream;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes reading a {@code tokenizer.json}: arbitrary bytes, then one encoding with whatever was
 * read. Only KilnException subtypes may escape. Seeds: {@code TokenizerJsonFuzzTestInputs/readTokenizer}.
 */
class TokenizerJsonFuzzTest {
    private static final FuzzSupport READ = new FuzzSupport("tokenizer-json");

    @AfterAll
    static void report() {
        READ.report();
    }

    @FuzzTest(maxDuration = "20s")
    void readTokenizer(byte[] bytes) {
        READ.check(() -> {
            Tokenizer t = Tokenizer.fromJson(new ByteArrayInputStream(bytes), "fuzz.json");
            t.encode("hello world, ça va? 你好");
        });
    }
}

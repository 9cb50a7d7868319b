package dev.kiln.text;

import static dev.kiln.text.TokenizerParityTest.ints;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Every code point through Kiln's tokenizer and Hugging Face's, in the uncased (lowercasing)
 * and the cased configuration. A few minutes on two cores, so it runs on demand:
 * {@code mvn -B -q -pl text -am test -Ptokenizer-sweep}.
 */
@EnabledIfSystemProperty(named = "kiln.tokenizer.sweep", matches = "true")
class CodePointSweepTest {
    /**
     * Every code point, alone and between letters, spaces and punctuation, with the lowercasing
     * (uncased) and the cased configuration: this pins the character classes, accent stripping
     * and CJK handling to the reference's, including where its Unicode tables are older.
     */
    @Test
    void everyCodePointMatches() throws IOException {
        Path json = Corpus.miniLmTokenizer();
        String cased = Files.readString(json).replace("\"lowercase\": true", "\"lowercase\": false");
        Path casedFile = Files.createTempFile("tokenizer-cased", ".json");
        Files.writeString(casedFile, cased);
        try {
            for (Path config : List.of(json, casedFile)) {
                try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(config, Map.of("padding", "false", "truncation", "false"))) {
                    Tokenizer mine = Tokenizer.fromFile(config).withTruncation(null).withPadding(null);
                    List<String> mismatches = new ArrayList<>();
                    int block = 8192;
                    for (int base = 0; base < 0x110000; base += block) {
                        List<String> texts = new ArrayList<>(block);
                        for (int cp = base; cp < base + block; cp++) {
                            String c = Character.isSurrogate((char) cp) && cp < 0x10000 ? "x" : Character.toString(cp);
                            texts.add("ab" + c + "cd " + c + " q" + c + "x." + c + ", " + c + c);
                        }
                        ai.djl.huggingface.tokenizers.Encoding[] r = ref.batchEncode(texts);
                        for (int k = 0; k < block; k++) {
                            if (!Arrays.equals(ints(r[k].getIds()), mine.encode(texts.get(k)).ids()) && mismatches.size() < 20) {
                                mismatches.add(String.format("U+%04X", base + k));
                            }
                        }
                    }
                    assertEquals(List.of(), mismatches, "code points tokenized differently with " + config.getFileName());
                }
            }
        } finally {
            Files.delete(casedFile);
        }
    }

}

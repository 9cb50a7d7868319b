package dev.kiln.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kiln's tokenizer against Hugging Face's (the Rust {@code tokenizers} library through DJL, as
 * langchain4j runs it), in this JVM, on the corpus and on every code point.
 */
class TokenizerParityTest {
    private static final List<Corpus.Text> CORPUS = Corpus.texts();
    private static Path json;
    private static HuggingFaceTokenizer hf;
    private static Tokenizer kiln;

    @BeforeAll
    static void load() throws IOException {
        json = Corpus.miniLmTokenizer();
        hf = HuggingFaceTokenizer.newInstance(json, Map.of("padding", "false", "truncation", "false"));
        kiln = Tokenizer.fromFile(json).withTruncation(null).withPadding(null);
    }

    @AfterAll
    static void close() {
        hf.close();
    }

    @Test
    void corpusIsLargeAndHasLongTexts() {
        assertTrue(CORPUS.size() >= 300, "corpus size " + CORPUS.size());
        long longOnes = CORPUS.stream().filter(t -> hf.encode(t.text()).getIds().length > 512).count();
        assertTrue(longOnes >= 10, longOnes + " texts longer than 512 tokens");
    }

    @Test
    void idsTokensTypesAndOffsetsMatchWithoutTruncation() {
        for (Corpus.Text t : CORPUS) {
            ai.djl.huggingface.tokenizers.Encoding ref = hf.encode(t.text());
            Encoding mine = kiln.encode(t.text());
            String what = t.kind() + " text " + quote(t.text());
            assertArrayEquals(ints(ref.getIds()), mine.ids(), what);
            assertArrayEquals(ref.getTokens(), mine.tokens(), what);
            assertArrayEquals(ints(ref.getTypeIds()), mine.typeIds(), what);
            assertArrayEquals(ints(ref.getAttentionMask()), mine.attentionMask(), what);
            assertArrayEquals(ints(ref.getSpecialTokenMask()), mine.specialTokensMask(), what);
            assertOffsets(t.text(), ref.getCharTokenSpans(), mine, what);
        }
    }

    @Test
    void idsMatchWithTheFileTruncationAsLangchain4jUsesIt() throws IOException {
        try (HuggingFaceTokenizer asLangchain4j = HuggingFaceTokenizer.newInstance(json, Map.of("padding", "false"))) {
            Tokenizer fileSettings = Tokenizer.fromFile(json).withPadding(null);
            assertEquals(128, fileSettings.truncation().orElseThrow().maxLength());
            int cut = 0;
            for (Corpus.Text t : CORPUS) {
                long[] ref = asLangchain4j.encode(t.text()).getIds();
                cut += ref.length == 128 ? 1 : 0;
                assertArrayEquals(ints(ref), fileSettings.encode(t.text()).ids(), t.kind() + " text " + quote(t.text()));
            }
            assertTrue(cut >= 15, cut + " texts reached the truncation length");
        }
    }

    @Test
    void idsMatchWithoutSpecialTokens() {
        for (Corpus.Text t : CORPUS) {
            assertArrayEquals(ints(hf.encode(t.text(), false, false).getIds()), kiln.encode(t.text(), null, false).ids(),
                    quote(t.text()));
        }
    }

    @Test
    void pairsMatchWithLongestFirstTruncation() throws IOException {
        // The reference also computes every overflow window of a truncated pair, which is slow
        // on long texts; three lengths (odd, even, the file's) and a third of the pairs suffice.
        for (int max : new int[] {9, 16, 128}) {
            try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(json,
                    Map.of("padding", "false", "truncation", "longest_first", "maxLength", Integer.toString(max)))) {
                Tokenizer mine = kiln.withTruncation(Truncation.of(max));
                for (int i = 0; i + 1 < CORPUS.size(); i += 3) {
                    String a = CORPUS.get(i).text();
                    String b = CORPUS.get(i + 1 + (i % 7) % (CORPUS.size() - i - 1)).text();
                    ai.djl.huggingface.tokenizers.Encoding r = ref.encode(a, b);
                    Encoding m = mine.encodePair(a, b);
                    String what = "max " + max + ": " + quote(a) + " / " + quote(b);
                    assertArrayEquals(ints(r.getIds()), m.ids(), what);
                    assertArrayEquals(ints(r.getTypeIds()), m.typeIds(), what);
                }
            }
        }
    }

    @Test
    void batchPaddingMatches() throws IOException {
        Tokenizer padded = kiln.withPadding(Padding.batchLongest()).withTruncation(Truncation.of(64));
        try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(json,
                Map.of("padding", "longest", "truncation", "true", "maxLength", "64"))) {
            for (int i = 0; i + 8 <= CORPUS.size(); i += 8) {
                List<String> batch = CORPUS.subList(i, i + 8).stream().map(Corpus.Text::text).toList();
                ai.djl.huggingface.tokenizers.Encoding[] r = ref.batchEncode(batch);
                List<Encoding> m = padded.encodeBatch(batch);
                for (int k = 0; k < batch.size(); k++) {
                    assertArrayEquals(ints(r[k].getIds()), m.get(k).ids(), quote(batch.get(k)));
                    assertArrayEquals(ints(r[k].getAttentionMask()), m.get(k).attentionMask(), quote(batch.get(k)));
                }
            }
        }
    }

    @Test
    void otherNormalizerConfigurationsMatch() throws IOException {
        String original = Files.readString(json);
        List<String> variants = List.of(
                original.replace("\"lowercase\": true", "\"lowercase\": false"),
                original.replace("\"handle_chinese_chars\": true", "\"handle_chinese_chars\": false")
                        .replace("\"clean_text\": true", "\"clean_text\": false"),
                original.replaceFirst("\"normalizer\": \\{[^}]*}", "\"normalizer\": {\"type\": \"Sequence\", \"normalizers\": "
                        + "[{\"type\": \"NFD\"}, {\"type\": \"Lowercase\"}, {\"type\": \"StripAccents\"}]}"));
        for (String variant : variants) {
            assertTrue(!variant.equals(original), "the variant changed the file");
            Path f = Files.createTempFile("tokenizer", ".json");
            try {
                Files.writeString(f, variant);
                try (HuggingFaceTokenizer ref = HuggingFaceTokenizer.newInstance(f, Map.of("padding", "false", "truncation", "false"))) {
                    Tokenizer mine = Tokenizer.fromFile(f).withTruncation(null).withPadding(null);
                    for (Corpus.Text t : CORPUS) {
                        assertArrayEquals(ints(ref.encode(t.text()).getIds()), mine.encode(t.text()).ids(), quote(t.text()));
                    }
                }
            } finally {
                Files.delete(f);
            }
        }
    }

    /** The reference's spans count code points; Kiln's offsets are UTF-16 indices into the String. */
    private static void assertOffsets(String text, CharSpan[] spans, Encoding mine, String what) {
        for (int i = 0; i < spans.length; i++) {
            CharSpan s = spans[i];
            int start = s == null ? 0 : s.getStart();
            int end = s == null ? 0 : s.getEnd();
            int myStart = text.codePointCount(0, mine.start(i));
            int myEnd = text.codePointCount(0, mine.end(i));
            assertEquals(start + ".." + end, myStart + ".." + myEnd, "offsets of token " + i + " (" + mine.tokens()[i] + ") in " + what);
        }
    }

    static int[] ints(long[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Math.toIntExact(a[i]);
        }
        return out;
    }

    static String quote(String s) {
        String q = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder("\"");
        q.codePoints().forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || Character.getType(cp) == Character.FORMAT) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.append('"').toString();
    }
}

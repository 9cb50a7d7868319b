package dev.kiln.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ModelFormatException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What a {@code tokenizer.json} declares is checked when it is read: sizes before anything is
 * allocated for them, templates before they are used. Cases found by {@code TokenizerJsonFuzzTest}.
 */
class TokenizerJsonLimitsTest {
    private static final String MODEL = "\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": %s}";

    private static Tokenizer read(String json) {
        return Tokenizer.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "t.json");
    }

    @Test
    void aSmallVocabularyWithAHugeIdIsRefused() {
        // Found by TokenizerJsonFuzzTest: one id of 1e9 made the reverse table a billion entries.
        String json = "{" + MODEL.formatted("{\"[UNK]\": 0, \"a\": 1000000000}") + "}";
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(json));
        assertTrue(e.getMessage().contains("ids must be 0..1"), e.getMessage());
    }

    @Test
    void paddingToBillionsOfTokensIsRefused() {
        String json = "{\"padding\": {\"strategy\": {\"Fixed\": 2000000000}}, "
                + MODEL.formatted("{\"[UNK]\": 0, \"a\": 1}") + "}";
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(json));
        assertTrue(e.getMessage().contains("at most " + Padding.MAX_LENGTH), e.getMessage());
    }

    @Test
    void aSingleTemplateThatUsesTheSecondSequenceIsRefused() {
        String json = "{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"Sequence\": {\"id\": \"B\", "
                + "\"type_id\": 0}}], \"pair\": [], \"special_tokens\": {}}, " + MODEL.formatted("{\"[UNK]\": 0, \"a\": 1}") + "}";
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(json));
        assertTrue(e.getMessage().contains("$B"), e.getMessage());
    }

    @Test
    void aDenseVocabularyReads() {
        Tokenizer t = read("{" + MODEL.formatted("{\"[UNK]\": 0, \"a\": 1, \"b\": 2}") + "}");
        assertEquals(2, t.encode("b").ids()[0]);
    }
}

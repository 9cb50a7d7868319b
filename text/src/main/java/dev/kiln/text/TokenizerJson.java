package dev.kiln.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.ModelFormatException;
import dev.kiln.text.tokenizer.AddedToken;
import dev.kiln.text.tokenizer.AddedVocabulary;
import dev.kiln.text.tokenizer.BasicNormalizer;
import dev.kiln.text.tokenizer.BertNormalizer;
import dev.kiln.text.tokenizer.BertPreTokenizer;
import dev.kiln.text.tokenizer.BertProcessing;
import dev.kiln.text.tokenizer.Normalizer;
import dev.kiln.text.tokenizer.NormalizerSequence;
import dev.kiln.text.tokenizer.PostProcessor;
import dev.kiln.text.tokenizer.PreTokenizer;
import dev.kiln.text.tokenizer.PreTokenizerSequence;
import dev.kiln.text.tokenizer.TemplateProcessing;
import dev.kiln.text.tokenizer.TokenModel;
import dev.kiln.text.tokenizer.WordPiece;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code tokenizer.json} format of the Hugging Face {@code tokenizers} library into a
 * {@link Tokenizer}. Each component is chosen by its {@code type} in one explicit switch; an
 * unsupported type is refused with the list of the supported ones.
 */
final class TokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;

    private TokenizerJson(String name) {
        this.name = name;
    }

    static Tokenizer read(InputStream in, String name) {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException("not valid JSON: " + e.getOriginalMessage(), e).inModel(name);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read the tokenizer: " + e, e).inModel(name);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException("not a tokenizer.json document (expected a JSON object)").inModel(name);
        }
        try {
            return new TokenizerJson(name).tokenizer(root);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(e.getMessage(), e).inModel(name);
        }
    }

    private Tokenizer tokenizer(JsonNode root) {
        Normalizer normalizer = normalizer(root.get("normalizer"));
        PreTokenizer preTokenizer = preTokenizer(root.get("pre_tokenizer"));
        TokenModel model = model(required(root, "model", "the tokenizer"));
        List<AddedToken> addedTokens = addedTokens(root.get("added_tokens"));
        PostProcessor post = postProcessor(root.get("post_processor"));
        return new Tokenizer(name, normalizer, preTokenizer, model, post, new AddedVocabulary(addedTokens, normalizer),
                truncation(root.get("truncation")), padding(root.get("padding")));
    }

    private Normalizer normalizer(JsonNode n) {
        if (isNull(n)) {
            return null;
        }
        String type = type(n, "normalizer");
        return switch (type) {
            case "BertNormalizer" -> {
                boolean lowercase = bool(n, "lowercase", true);
                JsonNode strip = n.get("strip_accents");
                yield new BertNormalizer(bool(n, "clean_text", true), bool(n, "handle_chinese_chars", true),
                        isNull(strip) ? lowercase : strip.asBoolean(), lowercase);
            }
            case "Lowercase" -> BasicNormalizer.LOWERCASE;
            case "NFD" -> BasicNormalizer.NFD;
            case "StripAccents" -> BasicNormalizer.STRIP_ACCENTS;
            case "Sequence" -> {
                List<Normalizer> parts = new ArrayList<>();
                for (JsonNode p : array(n, "normalizers", "Sequence normalizer")) {
                    Normalizer part = normalizer(p);
                    if (part != null) {
                        parts.add(part);
                    }
                }
                yield new NormalizerSequence(parts);
            }
            default -> throw unsupported("normalizer", type, "BertNormalizer, Lowercase, NFD, StripAccents, Sequence");
        };
    }

    private PreTokenizer preTokenizer(JsonNode n) {
        if (isNull(n)) {
            return null;
        }
        String type = type(n, "pre_tokenizer");
        return switch (type) {
            case "BertPreTokenizer" -> new BertPreTokenizer();
            case "Sequence" -> {
                List<PreTokenizer> parts = new ArrayList<>();
                for (JsonNode p : array(n, "pretokenizers", "Sequence pre_tokenizer")) {
                    PreTokenizer part = preTokenizer(p);
                    if (part != null) {
                        parts.add(part);
                    }
                }
                yield new PreTokenizerSequence(parts);
            }
            default -> throw unsupported("pre_tokenizer", type, "BertPreTokenizer, Sequence");
        };
    }

    private TokenModel model(JsonNode n) {
        String type = n.hasNonNull("type") ? n.get("type").asText() : (n.has("continuing_subword_prefix") ? "WordPiece" : "?");
        return switch (type) {
            case "WordPiece" -> {
                JsonNode vocab = required(n, "vocab", "the WordPiece model");
                if (!vocab.isObject()) {
                    throw new IllegalArgumentException("the WordPiece vocab is not an object of token -> id");
                }
                Map<String, Integer> v = new LinkedHashMap<>();
                vocab.properties().forEach(e -> {
                    if (!e.getValue().canConvertToInt()) {
                        throw new IllegalArgumentException("the WordPiece vocab gives token '" + e.getKey()
                                + "' the id " + e.getValue() + ", not an integer");
                    }
                    v.put(e.getKey(), e.getValue().asInt());
                });
                yield new WordPiece(v, text(n, "unk_token", "[UNK]"), text(n, "continuing_subword_prefix", "##"),
                        n.path("max_input_chars_per_word").asInt(100));
            }
            default -> throw unsupported("model", type, "WordPiece (BPE and Unigram are not supported yet)");
        };
    }

    private List<AddedToken> addedTokens(JsonNode n) {
        List<AddedToken> out = new ArrayList<>();
        if (isNull(n)) {
            return out;
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException("added_tokens is not an array");
        }
        for (JsonNode t : n) {
            boolean special = bool(t, "special", false);
            out.add(new AddedToken(required(t, "id", "an added token").asInt(), required(t, "content", "an added token").asText(),
                    bool(t, "single_word", false), bool(t, "lstrip", false), bool(t, "rstrip", false),
                    bool(t, "normalized", !special), special));
        }
        return out;
    }

    private PostProcessor postProcessor(JsonNode n) {
        if (isNull(n)) {
            return null;
        }
        String type = type(n, "post_processor");
        return switch (type) {
            case "TemplateProcessing" -> {
                Map<String, TemplateProcessing.SpecialToken> specials = new LinkedHashMap<>();
                JsonNode st = n.path("special_tokens");
                st.properties().forEach(e -> {
                    JsonNode ids = e.getValue().path("ids");
                    JsonNode tokens = e.getValue().path("tokens");
                    if (!ids.isArray() || !tokens.isArray() || ids.size() != tokens.size()) {
                        throw new IllegalArgumentException("special token '" + e.getKey()
                                + "' of TemplateProcessing needs ids and tokens of the same length");
                    }
                    int[] idArray = new int[ids.size()];
                    String[] tokenArray = new String[tokens.size()];
                    for (int i = 0; i < idArray.length; i++) {
                        idArray[i] = ids.get(i).asInt();
                        tokenArray[i] = tokens.get(i).asText();
                    }
                    specials.put(e.getKey(), new TemplateProcessing.SpecialToken(idArray, tokenArray));
                });
                yield new TemplateProcessing(template(required(n, "single", "TemplateProcessing")),
                        template(required(n, "pair", "TemplateProcessing")), specials);
            }
            case "BertProcessing" -> {
                JsonNode cls = required(n, "cls", "BertProcessing");
                JsonNode sep = required(n, "sep", "BertProcessing");
                yield new BertProcessing(cls.path(0).asText(), cls.path(1).asInt(), sep.path(0).asText(), sep.path(1).asInt());
            }
            default -> throw unsupported("post_processor", type, "TemplateProcessing, BertProcessing");
        };
    }

    private List<TemplateProcessing.Piece> template(JsonNode n) {
        if (!n.isArray()) {
            throw new IllegalArgumentException("a TemplateProcessing template is not an array");
        }
        List<TemplateProcessing.Piece> pieces = new ArrayList<>();
        for (JsonNode p : n) {
            if (p.has("Sequence")) {
                JsonNode s = p.get("Sequence");
                String id = s.path("id").asText();
                if (!id.equals("A") && !id.equals("B")) {
                    throw new IllegalArgumentException("a TemplateProcessing sequence is '" + id + "', not A or B");
                }
                pieces.add(new TemplateProcessing.Sequence(id.equals("B"), s.path("type_id").asInt()));
            } else if (p.has("SpecialToken")) {
                JsonNode s = p.get("SpecialToken");
                pieces.add(new TemplateProcessing.Special(s.path("id").asText(), s.path("type_id").asInt()));
            } else {
                throw new IllegalArgumentException("a TemplateProcessing piece is neither Sequence nor SpecialToken: " + p);
            }
        }
        return pieces;
    }

    private Truncation truncation(JsonNode n) {
        if (isNull(n)) {
            return null;
        }
        String strategy = n.path("strategy").asText("LongestFirst");
        Truncation.Strategy s = switch (strategy) {
            case "LongestFirst" -> Truncation.Strategy.LONGEST_FIRST;
            case "OnlyFirst" -> Truncation.Strategy.ONLY_FIRST;
            case "OnlySecond" -> Truncation.Strategy.ONLY_SECOND;
            default -> throw unsupported("truncation strategy", strategy, "LongestFirst, OnlyFirst, OnlySecond");
        };
        return new Truncation(required(n, "max_length", "truncation").asInt(), s, "Left".equals(n.path("direction").asText()));
    }

    private Padding padding(JsonNode n) {
        if (isNull(n)) {
            return null;
        }
        JsonNode strategy = n.path("strategy");
        int fixed = 0;
        if (strategy.has("Fixed")) {
            fixed = strategy.get("Fixed").asInt();
            if (fixed < 1) {
                throw new IllegalArgumentException("padding to a fixed length of " + fixed);
            }
        } else if (!"BatchLongest".equals(strategy.asText())) {
            throw new IllegalArgumentException("padding strategy " + strategy + " is neither BatchLongest nor Fixed");
        }
        return new Padding(fixed, n.path("pad_to_multiple_of").asInt(0), "Left".equals(n.path("direction").asText()),
                n.path("pad_id").asInt(0), n.path("pad_type_id").asInt(0), n.path("pad_token").asText("[PAD]"));
    }

    private static boolean isNull(JsonNode n) {
        return n == null || n.isNull();
    }

    private static boolean bool(JsonNode n, String field, boolean dflt) {
        JsonNode v = n.get(field);
        return isNull(v) ? dflt : v.asBoolean();
    }

    private static String text(JsonNode n, String field, String dflt) {
        JsonNode v = n.get(field);
        return isNull(v) ? dflt : v.asText();
    }

    private static JsonNode required(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (isNull(v)) {
            throw new IllegalArgumentException(where + " has no '" + field + "'");
        }
        return v;
    }

    private static JsonNode array(JsonNode n, String field, String where) {
        JsonNode v = required(n, field, where);
        if (!v.isArray()) {
            throw new IllegalArgumentException(where + ": '" + field + "' is not an array");
        }
        return v;
    }

    private static String type(JsonNode n, String what) {
        JsonNode t = n.get("type");
        if (isNull(t)) {
            throw new IllegalArgumentException("the " + what + " has no type");
        }
        return t.asText();
    }

    private static IllegalArgumentException unsupported(String what, String type, String supported) {
        return new IllegalArgumentException("unsupported " + what + " '" + type + "' (Kiln reads: " + supported + ")");
    }
}

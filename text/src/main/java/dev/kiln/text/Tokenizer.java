package dev.kiln.text;

import dev.kiln.InvalidInputException;
import dev.kiln.ModelFormatException;
import dev.kiln.text.tokenizer.AddedToken;
import dev.kiln.text.tokenizer.AddedVocabulary;
import dev.kiln.text.tokenizer.NormalizedText;
import dev.kiln.text.tokenizer.Normalizer;
import dev.kiln.text.tokenizer.PostProcessor;
import dev.kiln.text.tokenizer.PreTokenizer;
import dev.kiln.text.tokenizer.TokenModel;
import dev.kiln.text.tokenizer.TokenSequence;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tokenizer read from a Hugging Face {@code tokenizer.json}: normalizer, pre-tokenizer, model
 * (WordPiece), post-processor, added tokens, truncation and padding, with the same token ids and
 * offsets as the Hugging Face {@code tokenizers} library.
 *
 * <pre>{@code
 * Tokenizer tokenizer = Tokenizer.fromFile(Path.of("tokenizer.json"));
 * Encoding e = tokenizer.encode("Hello, world!");   // [CLS] hello , world ! [SEP]
 * }</pre>
 *
 * <p>Immutable and thread-safe. The truncation and padding of the file apply until replaced with
 * {@link #withTruncation} and {@link #withPadding}.
 */
public final class Tokenizer {
    private final String name;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final TokenModel model;
    private final PostProcessor postProcessor;
    private final AddedVocabulary added;
    private final Truncation truncation;
    private final Padding padding;

    Tokenizer(String name, Normalizer normalizer, PreTokenizer preTokenizer, TokenModel model, PostProcessor postProcessor,
              AddedVocabulary added, Truncation truncation, Padding padding) {
        this.name = name;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.postProcessor = postProcessor;
        this.added = added;
        this.truncation = truncation;
        this.padding = padding;
    }

    /**
     * Reads a {@code tokenizer.json} file.
     *
     * @throws ModelFormatException when the file is unreadable, not valid JSON, or uses a component Kiln does not support
     */
    public static Tokenizer fromFile(Path file) {
        String fileName = String.valueOf(file.getFileName());
        try (InputStream in = Files.newInputStream(file)) {
            return fromJson(in, fileName);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read the tokenizer: " + e, e).inModel(fileName);
        }
    }

    /**
     * Reads a {@code tokenizer.json} document from a stream (not closed); {@code name} names it in errors.
     *
     * @throws ModelFormatException when it is not valid or uses a component Kiln does not support
     */
    public static Tokenizer fromJson(InputStream in, String name) {
        return TokenizerJson.read(in, name);
    }

    /** The name of the file this tokenizer was read from. */
    public String name() {
        return name;
    }

    /** The truncation in force, if any. */
    public Optional<Truncation> truncation() {
        return Optional.ofNullable(truncation);
    }

    /** The padding in force, if any. */
    public Optional<Padding> padding() {
        return Optional.ofNullable(padding);
    }

    /** This tokenizer with another truncation ({@code null}: none). */
    public Tokenizer withTruncation(Truncation t) {
        return new Tokenizer(name, normalizer, preTokenizer, model, postProcessor, added, t, padding);
    }

    /** This tokenizer with another padding ({@code null}: none). */
    public Tokenizer withPadding(Padding p) {
        return new Tokenizer(name, normalizer, preTokenizer, model, postProcessor, added, truncation, p);
    }

    /** The number of ids of the model's vocabulary (added tokens outside it not counted). */
    public int vocabSize() {
        return model.vocabSize();
    }

    /** The id of a token (vocabulary or added), or -1. */
    public int tokenToId(String token) {
        for (AddedToken t : added.tokens()) {
            if (t.content().equals(token)) {
                return t.id();
            }
        }
        return model.tokenToId(token);
    }

    /** The token of an id (vocabulary or added), or {@code null}. */
    public String idToToken(int id) {
        for (AddedToken t : added.tokens()) {
            if (t.id() == id) {
                return t.content();
            }
        }
        return model.idToToken(id);
    }

    /** Encodes one text with special tokens. */
    public Encoding encode(String text) {
        return encode(text, null, true);
    }

    /** Encodes a pair of texts ({@code [CLS] a [SEP] b [SEP]} for BERT) with special tokens. */
    public Encoding encodePair(String first, String second) {
        return encode(first, second, true);
    }

    /**
     * Encodes a text, or a pair when {@code second} is not {@code null}: tokenize, truncate,
     * add special tokens (when asked), pad.
     *
     * @throws InvalidInputException when a text is {@code null} or the truncation length leaves no room for the text
     */
    public Encoding encode(String first, String second, boolean addSpecialTokens) {
        Encoding e = encodeUnpadded(first, second, addSpecialTokens);
        return padding == null ? e : e.padded(padding.target(e.length(), e.length()), padding);
    }

    /** Encodes texts with special tokens, padded together (to the longest, unless the padding is fixed). */
    public List<Encoding> encodeBatch(List<String> texts) {
        List<Encoding> out = new ArrayList<>(texts.size());
        int longest = 0;
        for (String t : texts) {
            Encoding e = encodeUnpadded(t, null, true);
            longest = Math.max(longest, e.length());
            out.add(e);
        }
        if (padding != null) {
            for (int i = 0; i < out.size(); i++) {
                Encoding e = out.get(i);
                out.set(i, e.padded(padding.target(e.length(), longest), padding));
            }
        }
        return out;
    }

    private Encoding encodeUnpadded(String first, String second, boolean addSpecialTokens) {
        if (first == null) {
            throw new InvalidInputException("the text to tokenize is null").inModel(name);
        }
        TokenSequence a = tokenize(first);
        TokenSequence b = second == null ? null : tokenize(second);
        if (truncation != null) {
            truncate(a, b, addSpecialTokens);
        }
        TokenSequence s = postProcessor == null ? concat(a, b) : postProcessor.process(a, b, addSpecialTokens);
        return Encoding.of(s);
    }

    private static TokenSequence concat(TokenSequence a, TokenSequence b) {
        if (b == null) {
            return a;
        }
        TokenSequence s = new TokenSequence(a.size() + b.size());
        s.addAll(a);
        s.addAll(b, 1);
        return s;
    }

    /** The tokens of one text, before truncation and special tokens. */
    TokenSequence tokenize(String text) {
        TokenSequence out = new TokenSequence(Math.max(8, text.length() / 3));
        NormalizedText original = NormalizedText.of(text, 0, text.length());
        added.splitRaw(original, new AddedVocabulary.Sink() {
            @Override
            public void token(AddedToken token, int start, int end) {
                out.add(token.id(), token.content(), start, end, 0, false);
            }

            @Override
            public void text(NormalizedText piece, int from, int to) {
                NormalizedText slice = from == 0 && to == piece.length() ? piece : piece.slice(from, to);
                NormalizedText normalized = normalizer == null ? slice : normalizer.normalize(slice);
                if (added.hasNormalizedTokens()) {
                    added.splitNormalized(normalized, new AddedVocabulary.Sink() {
                        @Override
                        public void token(AddedToken token, int start, int end) {
                            out.add(token.id(), token.content(), start, end, 0, false);
                        }

                        @Override
                        public void text(NormalizedText t, int f, int e) {
                            words(t, f, e, out);
                        }
                    });
                } else {
                    words(normalized, 0, normalized.length(), out);
                }
            }
        });
        return out;
    }

    private void words(NormalizedText t, int from, int to, TokenSequence out) {
        if (preTokenizer == null) {
            if (to > from) {
                model.tokenize(t, from, to, out);
            }
        } else {
            preTokenizer.split(t, from, to, (f, e) -> model.tokenize(t, f, e, out));
        }
    }

    private void truncate(TokenSequence a, TokenSequence b, boolean addSpecialTokens) {
        int room = truncation.maxLength()
                - (addSpecialTokens && postProcessor != null ? postProcessor.addedTokens(b != null) : 0);
        if (room < 0 || (room == 0 && (a.size() > 0 || (b != null && b.size() > 0)))) {
            throw new InvalidInputException("truncation to " + truncation.maxLength()
                    + " tokens leaves no room for the text next to the special tokens").inModel(name);
        }
        boolean left = truncation.fromLeft();
        if (b == null) {
            a.truncate(room, left);
            return;
        }
        int n1 = a.size();
        int n2 = b.size();
        if (n1 + n2 <= room) {
            return;
        }
        switch (truncation.strategy()) {
            case ONLY_FIRST -> {
                if (n2 >= room) {
                    throw new InvalidInputException("truncation only of the first text cannot fit the second text ("
                            + n2 + " tokens) in " + truncation.maxLength()).inModel(name);
                }
                a.truncate(room - n2, left);
            }
            case ONLY_SECOND -> {
                if (n1 >= room) {
                    throw new InvalidInputException("truncation only of the second text cannot fit the first text ("
                            + n1 + " tokens) in " + truncation.maxLength()).inModel(name);
                }
                b.truncate(room - n1, left);
            }
            case LONGEST_FIRST -> {
                // Cut the longer one down to what the shorter leaves; if that is less than the
                // shorter, both get half, the longer one the odd token.
                int shorter = Math.min(n1, n2);
                int keepShort = shorter;
                int keepLong = room - shorter;
                if (keepLong < shorter) {
                    keepShort = room / 2;
                    keepLong = room - keepShort;
                }
                if (n1 > n2) {
                    a.truncate(keepLong, left);
                    b.truncate(keepShort, left);
                } else {
                    a.truncate(keepShort, left);
                    b.truncate(keepLong, left);
                }
            }
        }
    }
}

package dev.kiln.text.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text: the leftmost match, and the longest one where several start at
 * the same place. Tokens that are not {@code normalized} are searched in the original text,
 * the others in each normalized piece between them.
 */
public final class AddedVocabulary {
    /** Receives the pieces of a text: added tokens and the text between them. */
    public interface Sink {
        /** An added token found at the original offsets {@code [start, end)}. */
        void token(AddedToken token, int start, int end);

        /** Text without added tokens: {@code text[from, to)}. */
        void text(NormalizedText text, int from, int to);
    }

    private record Candidate(AddedToken token, int[] cps) { }

    private final List<AddedToken> tokens;
    private final Map<Integer, Candidate[]> raw;
    private final Map<Integer, Candidate[]> normalized;

    /**
     * The added tokens of a tokenizer; {@code normalizer} (nullable) gives the form in which
     * normalized tokens are searched.
     */
    public AddedVocabulary(List<AddedToken> tokens, Normalizer normalizer) {
        this.tokens = List.copyOf(tokens);
        this.raw = index(tokens, false, null);
        this.normalized = index(tokens, true, normalizer);
    }

    private static Map<Integer, Candidate[]> index(List<AddedToken> tokens, boolean normalizedOnes, Normalizer normalizer) {
        Map<Integer, List<Candidate>> byFirst = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.normalized() != normalizedOnes || t.content().isEmpty()) {
                continue;
            }
            String content = t.content();
            if (normalizedOnes && normalizer != null) {
                content = normalizer.normalize(NormalizedText.of(content, 0, content.length())).toString();
            }
            if (content.isEmpty()) {
                continue;
            }
            int[] cps = content.codePoints().toArray();
            byFirst.computeIfAbsent(cps[0], k -> new ArrayList<>()).add(new Candidate(t, cps));
        }
        Map<Integer, Candidate[]> index = new HashMap<>();
        byFirst.forEach((first, list) -> {
            Candidate[] c = list.toArray(Candidate[]::new);
            Arrays.sort(c, Comparator.comparingInt((Candidate x) -> -x.cps().length));
            index.put(first, c);
        });
        return index;
    }

    /** The added tokens. */
    public List<AddedToken> tokens() {
        return tokens;
    }

    /** Whether the text needs no normalized-token search (the common case: only special tokens). */
    public boolean hasNormalizedTokens() {
        return !normalized.isEmpty();
    }

    /** Splits original text (aligned with itself) on the tokens matched before normalization. */
    public void splitRaw(NormalizedText text, Sink sink) {
        split(text, raw, sink);
    }

    /** Splits normalized text on the tokens matched after normalization. */
    public void splitNormalized(NormalizedText text, Sink sink) {
        split(text, normalized, sink);
    }

    private static void split(NormalizedText text, Map<Integer, Candidate[]> index, Sink sink) {
        int n = text.length();
        if (index.isEmpty()) {
            sink.text(text, 0, n);
            return;
        }
        int plain = 0;
        int pos = 0;
        while (pos < n) {
            Candidate match = matchAt(text, pos, index, n);
            if (match == null) {
                pos++;
                continue;
            }
            int from = pos;
            int to = pos + match.cps().length;
            if (match.token().lstrip()) {
                while (from > plain && CharClass.isWhitespace(text.codePoint(from - 1))) {
                    from--;
                }
            }
            if (match.token().rstrip()) {
                while (to < n && CharClass.isWhitespace(text.codePoint(to))) {
                    to++;
                }
            }
            if (from > plain) {
                sink.text(text, plain, from);
            }
            sink.token(match.token(), text.start(from), text.end(to - 1));
            plain = to;
            pos = to;
        }
        if (plain < n) {
            sink.text(text, plain, n);
        }
    }

    private static Candidate matchAt(NormalizedText text, int pos, Map<Integer, Candidate[]> index, int n) {
        Candidate[] candidates = index.get(text.codePoint(pos));
        if (candidates == null) {
            return null;
        }
        outer:
        for (Candidate c : candidates) {
            int[] cps = c.cps();
            if (pos + cps.length > n) {
                continue;
            }
            for (int k = 1; k < cps.length; k++) {
                if (text.codePoint(pos + k) != cps[k]) {
                    continue outer;
                }
            }
            if (c.token().singleWord()
                    && ((pos > 0 && isWordChar(text.codePoint(pos - 1)))
                    || (pos + cps.length < n && isWordChar(text.codePoint(pos + cps.length))))) {
                continue;
            }
            return c;
        }
        return null;
    }

    private static boolean isWordChar(int cp) {
        return cp == '_' || Character.isLetterOrDigit(cp);
    }
}

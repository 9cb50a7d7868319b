package dev.kiln.text.tokenizer;

import java.util.List;
import java.util.Map;

/**
 * A post-processor described by templates such as {@code [CLS]:0 $A:0 [SEP]:0} for one sequence
 * and {@code [CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1} for a pair. Without special tokens the sequences
 * are concatenated and still get their template's type ids.
 *
 * @param single the template for one sequence
 * @param pair the template for a pair
 * @param specialTokens what each special token of the templates expands to
 */
public record TemplateProcessing(List<Piece> single, List<Piece> pair, Map<String, SpecialToken> specialTokens)
        implements PostProcessor {

    /** One element of a template. */
    public sealed interface Piece permits Sequence, Special {
        /** The type id its tokens get. */
        int typeId();
    }

    /**
     * The tokens of a sequence.
     *
     * @param second {@code false} for {@code $A}, {@code true} for {@code $B}
     * @param typeId the type id
     */
    public record Sequence(boolean second, int typeId) implements Piece { }

    /**
     * A special token, by its name in {@code specialTokens}.
     *
     * @param name the name
     * @param typeId the type id
     */
    public record Special(String name, int typeId) implements Piece { }

    /**
     * A special token's expansion: one or more ids and their token strings.
     *
     * @param ids the ids
     * @param tokens the token strings, one per id
     */
    public record SpecialToken(int[] ids, String[] tokens) { }

    /** Validates that every special token of the templates is defined, and that the single template has no B. */
    public TemplateProcessing {
        single = List.copyOf(single);
        pair = List.copyOf(pair);
        specialTokens = Map.copyOf(specialTokens);
        for (Piece p : single) {
            if (p instanceof Sequence s && s.second()) {
                throw new IllegalArgumentException("the single-sequence template uses the second sequence $B");
            }
        }
        for (List<Piece> template : List.of(single, pair)) {
            for (Piece p : template) {
                if (p instanceof Special s && !specialTokens.containsKey(s.name())) {
                    throw new IllegalArgumentException("the template uses the special token '" + s.name()
                            + "', which special_tokens does not define");
                }
            }
        }
    }

    @Override
    public int addedTokens(boolean isPair) {
        int n = 0;
        for (Piece p : isPair ? pair : single) {
            if (p instanceof Special s) {
                n += specialTokens.get(s.name()).ids().length;
            }
        }
        return n;
    }

    @Override
    public TokenSequence process(TokenSequence first, TokenSequence second, boolean addSpecialTokens) {
        TokenSequence out = new TokenSequence(first.size() + (second == null ? 0 : second.size()) + 4);
        for (Piece p : second == null ? single : pair) {
            switch (p) {
                case Sequence s -> out.addAll(s.second() ? second : first, s.typeId());
                case Special s -> {
                    if (addSpecialTokens) {
                        SpecialToken t = specialTokens.get(s.name());
                        for (int i = 0; i < t.ids().length; i++) {
                            out.add(t.ids()[i], t.tokens()[i], 0, 0, s.typeId(), true);
                        }
                    }
                }
            }
        }
        return out;
    }
}

package dev.kiln.text.tokenizer;

import java.util.List;

/**
 * Normalizers applied one after the other.
 *
 * @param normalizers the steps, in order
 */
public record NormalizerSequence(List<Normalizer> normalizers) implements Normalizer {
    /** Copies the list. */
    public NormalizerSequence {
        normalizers = List.copyOf(normalizers);
    }

    @Override
    public NormalizedText normalize(NormalizedText text) {
        NormalizedText t = text;
        for (Normalizer n : normalizers) {
            t = n.normalize(t);
        }
        return t;
    }
}

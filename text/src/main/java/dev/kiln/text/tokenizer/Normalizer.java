package dev.kiln.text.tokenizer;

/**
 * The first step of tokenization: rewrites text (case, accents, spacing) while keeping each
 * normalized code point aligned with the original characters it came from.
 */
public interface Normalizer {
    /** Returns the normalized text; {@code text} may be returned or modified. */
    NormalizedText normalize(NormalizedText text);
}

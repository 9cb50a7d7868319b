package dev.kiln.text.tokenizer;

/** The second step of tokenization: splits normalized text into words for the model. */
public interface PreTokenizer {
    /** Receives the words of a text as ranges of normalized code points. */
    @FunctionalInterface
    interface WordSink {
        /** One word: the normalized code points {@code [from, to)}. */
        void word(int from, int to);
    }

    /** Splits {@code text[from, to)} into words, in order. */
    void split(NormalizedText text, int from, int to, WordSink sink);
}

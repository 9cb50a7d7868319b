package dev.kiln.text.tokenizer;

import java.util.List;

/**
 * Pre-tokenizers applied one after the other: each splits the words of the one before.
 *
 * @param preTokenizers the steps, in order
 */
public record PreTokenizerSequence(List<PreTokenizer> preTokenizers) implements PreTokenizer {
    /** Copies the list. */
    public PreTokenizerSequence {
        preTokenizers = List.copyOf(preTokenizers);
    }

    @Override
    public void split(NormalizedText text, int from, int to, WordSink sink) {
        split(0, text, from, to, sink);
    }

    private void split(int step, NormalizedText text, int from, int to, WordSink sink) {
        if (step == preTokenizers.size()) {
            sink.word(from, to);
            return;
        }
        preTokenizers.get(step).split(text, from, to, (f, t) -> split(step + 1, text, f, t, sink));
    }
}

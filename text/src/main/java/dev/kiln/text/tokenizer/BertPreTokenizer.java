package dev.kiln.text.tokenizer;

/**
 * The BERT pre-tokenizer: words are separated by whitespace (dropped), and every punctuation
 * character is a word of its own.
 */
public final class BertPreTokenizer implements PreTokenizer {
    @Override
    public void split(NormalizedText text, int from, int to, WordSink sink) {
        int wordStart = -1;
        for (int i = from; i < to; i++) {
            int cp = text.codePoint(i);
            boolean space = CharClass.isWhitespace(cp);
            if (space || CharClass.isPunctuation(cp)) {
                if (wordStart >= 0) {
                    sink.word(wordStart, i);
                    wordStart = -1;
                }
                if (!space) {
                    sink.word(i, i + 1);
                }
            } else if (wordStart < 0) {
                wordStart = i;
            }
        }
        if (wordStart >= 0) {
            sink.word(wordStart, to);
        }
    }
}

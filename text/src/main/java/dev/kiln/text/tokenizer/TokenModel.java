package dev.kiln.text.tokenizer;

/**
 * The third step of tokenization: turns one word into vocabulary tokens (WordPiece today; BPE
 * and Unigram implement the same interface).
 */
public interface TokenModel {
    /** Appends the tokens of the word {@code text[from, to)} to {@code out}, with type id 0. */
    void tokenize(NormalizedText text, int from, int to, TokenSequence out);

    /** The id of a token, or -1 when it is not in the vocabulary. */
    int tokenToId(String token);

    /** The token of an id, or {@code null} when there is none. */
    String idToToken(int id);

    /** The number of ids in the vocabulary. */
    int vocabSize();
}

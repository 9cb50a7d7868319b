package dev.kiln.text.tokenizer;

/** The last step of tokenization: adds the special tokens ({@code [CLS] a [SEP] b [SEP]}) and type ids. */
public interface PostProcessor {
    /** How many tokens {@link #process} adds to a single sequence or to a pair. */
    int addedTokens(boolean pair);

    /**
     * Combines the tokens of the first sequence and, for a pair, the second ({@code null} for a
     * single sequence) into the model's input.
     */
    TokenSequence process(TokenSequence first, TokenSequence second, boolean addSpecialTokens);
}

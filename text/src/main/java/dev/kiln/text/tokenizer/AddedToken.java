package dev.kiln.text.tokenizer;

/**
 * A token added to the vocabulary outside the model ({@code [CLS]}, {@code [MASK]}, ...). Its
 * content is found in the text before normalization ({@code normalized == false}, the rule for
 * special tokens) or after it, and becomes this one token.
 *
 * @param id the token id
 * @param content the text it matches
 * @param singleWord match only when not inside a word
 * @param lstrip the match takes in the whitespace on its left
 * @param rstrip the match takes in the whitespace on its right
 * @param normalized match in the normalized text rather than the original
 * @param special a special token (flagged in the special-tokens mask)
 */
public record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized, boolean special) {
}

package dev.kiln.text.tokenizer;

/**
 * The classic BERT post-processor: {@code [CLS] a [SEP]} and {@code [CLS] a [SEP] b [SEP]}, the
 * second sequence and its separator with type id 1. Without special tokens the sequences are
 * concatenated unchanged.
 *
 * @param clsToken the classification token
 * @param clsId its id
 * @param sepToken the separator token
 * @param sepId its id
 */
public record BertProcessing(String clsToken, int clsId, String sepToken, int sepId) implements PostProcessor {
    @Override
    public int addedTokens(boolean pair) {
        return pair ? 3 : 2;
    }

    @Override
    public TokenSequence process(TokenSequence first, TokenSequence second, boolean addSpecialTokens) {
        TokenSequence out = new TokenSequence(first.size() + (second == null ? 0 : second.size()) + 3);
        if (!addSpecialTokens) {
            out.addAll(first);
            if (second != null) {
                out.addAll(second);
            }
            return out;
        }
        out.add(clsId, clsToken, 0, 0, 0, true);
        out.addAll(first, 0);
        out.add(sepId, sepToken, 0, 0, 0, true);
        if (second != null) {
            out.addAll(second, 1);
            out.add(sepId, sepToken, 0, 0, 1, true);
        }
        return out;
    }
}

package dev.kiln.text;

import dev.kiln.text.tokenizer.TokenSequence;
import java.util.Arrays;

/**
 * A tokenized text (or pair of texts), ready to feed a model: token ids, type ids, attention
 * mask, the tokens, and where each token lies in the original text (UTF-16 indices into the
 * {@code String}; special and padding tokens have the empty range 0..0). Immutable.
 */
public final class Encoding {
    private final int[] ids;
    private final int[] typeIds;
    private final int[] attentionMask;
    private final int[] specialTokensMask;
    private final String[] tokens;
    private final int[] starts;
    private final int[] ends;

    private Encoding(int[] ids, int[] typeIds, int[] attentionMask, int[] specialTokensMask, String[] tokens,
                     int[] starts, int[] ends) {
        this.ids = ids;
        this.typeIds = typeIds;
        this.attentionMask = attentionMask;
        this.specialTokensMask = specialTokensMask;
        this.tokens = tokens;
        this.starts = starts;
        this.ends = ends;
    }

    static Encoding of(TokenSequence s) {
        int n = s.size();
        int[] ids = new int[n];
        int[] types = new int[n];
        int[] mask = new int[n];
        int[] special = new int[n];
        String[] tokens = new String[n];
        int[] starts = new int[n];
        int[] ends = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = s.id(i);
            types[i] = s.typeId(i);
            mask[i] = 1;
            special[i] = s.isSpecial(i) ? 1 : 0;
            tokens[i] = s.token(i);
            starts[i] = s.start(i);
            ends[i] = s.end(i);
        }
        return new Encoding(ids, types, mask, special, tokens, starts, ends);
    }

    /** This encoding padded to {@code length} tokens (itself when it is that long already). */
    Encoding padded(int length, Padding p) {
        int n = ids.length;
        if (length <= n) {
            return this;
        }
        int off = p.fromLeft() ? length - n : 0;
        int pads = p.fromLeft() ? 0 : n;
        int[] newIds = new int[length];
        int[] newTypes = new int[length];
        int[] newMask = new int[length];
        int[] newSpecial = new int[length];
        String[] newTokens = new String[length];
        int[] newStarts = new int[length];
        int[] newEnds = new int[length];
        System.arraycopy(ids, 0, newIds, off, n);
        System.arraycopy(typeIds, 0, newTypes, off, n);
        System.arraycopy(attentionMask, 0, newMask, off, n);
        System.arraycopy(specialTokensMask, 0, newSpecial, off, n);
        System.arraycopy(tokens, 0, newTokens, off, n);
        System.arraycopy(starts, 0, newStarts, off, n);
        System.arraycopy(ends, 0, newEnds, off, n);
        int from = p.fromLeft() ? 0 : pads;
        int to = from + (length - n);
        Arrays.fill(newIds, from, to, p.padId());
        Arrays.fill(newTypes, from, to, p.padTypeId());
        Arrays.fill(newSpecial, from, to, 1);
        Arrays.fill(newTokens, from, to, p.padToken());
        return new Encoding(newIds, newTypes, newMask, newSpecial, newTokens, newStarts, newEnds);
    }

    /** The number of tokens (padding included). */
    public int length() {
        return ids.length;
    }

    /** The number of tokens the attention mask keeps (padding excluded). */
    public int attendedLength() {
        int n = 0;
        for (int m : attentionMask) {
            n += m;
        }
        return n;
    }

    /** The token ids. */
    public int[] ids() {
        return ids.clone();
    }

    /** The token id at {@code i}. */
    public int id(int i) {
        return ids[i];
    }

    /** The type (segment) ids: 0 for the first text of a pair, 1 for the second. */
    public int[] typeIds() {
        return typeIds.clone();
    }

    /** The type id at {@code i}. */
    public int typeId(int i) {
        return typeIds[i];
    }

    /** 1 for real tokens, 0 for padding. */
    public int[] attentionMask() {
        return attentionMask.clone();
    }

    /** The attention mask at {@code i}. */
    public int attention(int i) {
        return attentionMask[i];
    }

    /** 1 for tokens added by the post-processor and for padding, else 0 (also for special tokens written in the text). */
    public int[] specialTokensMask() {
        return specialTokensMask.clone();
    }

    /** The tokens as strings ({@code ##} marks a word continuation in WordPiece). */
    public String[] tokens() {
        return tokens.clone();
    }

    /** Where token {@code i} starts in the original text. */
    public int start(int i) {
        return starts[i];
    }

    /** Where token {@code i} ends in the original text (exclusive). */
    public int end(int i) {
        return ends[i];
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(tokens);
    }
}

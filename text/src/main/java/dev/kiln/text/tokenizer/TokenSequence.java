package dev.kiln.text.tokenizer;

import java.util.Arrays;

/**
 * A growing list of tokens (id, string, original offsets, type id, special flag): what the model
 * produces for one sequence and what truncation and the post-processor rework.
 */
public final class TokenSequence {
    private int[] ids;
    private String[] tokens;
    private int[] starts;
    private int[] ends;
    private int[] typeIds;
    private boolean[] special;
    private int size;

    /** An empty sequence. */
    public TokenSequence() {
        this(16);
    }

    /** An empty sequence with room for {@code capacity} tokens. */
    public TokenSequence(int capacity) {
        int n = Math.max(capacity, 4);
        ids = new int[n];
        tokens = new String[n];
        starts = new int[n];
        ends = new int[n];
        typeIds = new int[n];
        special = new boolean[n];
    }

    /** Appends a token. */
    public void add(int id, String token, int start, int end, int typeId, boolean isSpecial) {
        if (size == ids.length) {
            int n = size * 2;
            ids = Arrays.copyOf(ids, n);
            tokens = Arrays.copyOf(tokens, n);
            starts = Arrays.copyOf(starts, n);
            ends = Arrays.copyOf(ends, n);
            typeIds = Arrays.copyOf(typeIds, n);
            special = Arrays.copyOf(special, n);
        }
        ids[size] = id;
        tokens[size] = token;
        starts[size] = start;
        ends[size] = end;
        typeIds[size] = typeId;
        special[size] = isSpecial;
        size++;
    }

    /** Appends every token of {@code other}, giving them the type id {@code typeId}. */
    public void addAll(TokenSequence other, int typeId) {
        for (int i = 0; i < other.size; i++) {
            add(other.ids[i], other.tokens[i], other.starts[i], other.ends[i], typeId, other.special[i]);
        }
    }

    /** Appends every token of {@code other} as it is. */
    public void addAll(TokenSequence other) {
        for (int i = 0; i < other.size; i++) {
            add(other.ids[i], other.tokens[i], other.starts[i], other.ends[i], other.typeIds[i], other.special[i]);
        }
    }

    /** Keeps {@code n} tokens: the first ones, or the last ones when {@code fromLeft}. */
    public void truncate(int n, boolean fromLeft) {
        if (n >= size) {
            return;
        }
        if (fromLeft) {
            int drop = size - n;
            System.arraycopy(ids, drop, ids, 0, n);
            System.arraycopy(tokens, drop, tokens, 0, n);
            System.arraycopy(starts, drop, starts, 0, n);
            System.arraycopy(ends, drop, ends, 0, n);
            System.arraycopy(typeIds, drop, typeIds, 0, n);
            System.arraycopy(special, drop, special, 0, n);
        }
        Arrays.fill(tokens, n, size, null);
        size = n;
    }

    /** The number of tokens. */
    public int size() {
        return size;
    }

    /** The token id at {@code i}. */
    public int id(int i) {
        return ids[i];
    }

    /** The token string at {@code i}. */
    public String token(int i) {
        return tokens[i];
    }

    /** Where token {@code i} starts in the original text (0 for added special tokens). */
    public int start(int i) {
        return starts[i];
    }

    /** Where token {@code i} ends in the original text (0 for added special tokens). */
    public int end(int i) {
        return ends[i];
    }

    /** The type (segment) id of token {@code i}. */
    public int typeId(int i) {
        return typeIds[i];
    }

    /** Whether token {@code i} is a special token. */
    public boolean isSpecial(int i) {
        return special[i];
    }
}

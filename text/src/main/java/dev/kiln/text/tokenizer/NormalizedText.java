package dev.kiln.text.tokenizer;

import java.util.Arrays;

/**
 * A piece of text being normalized, one code point at a time, that remembers where every
 * normalized code point came from in the original {@code String}. Offsets are UTF-16 indices
 * into the original text (what {@link String#substring} takes).
 *
 * <p>A code point inserted by a normalizer (the spaces around a Chinese character, the marks of
 * a decomposition) takes the original range of the code point it was made from, so token
 * offsets always cover whole original characters.
 */
public final class NormalizedText {
    private int[] cps;
    private int[] starts;
    private int[] ends;
    private int length;

    private NormalizedText(int capacity) {
        cps = new int[capacity];
        starts = new int[capacity];
        ends = new int[capacity];
    }

    /** The code points of {@code text[from, to)}, aligned with themselves. */
    public static NormalizedText of(String text, int from, int to) {
        NormalizedText t = new NormalizedText(to - from);
        for (int i = from; i < to; ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            t.append(cp, i, next);
            i = next;
        }
        return t;
    }

    /** A text with room for {@code capacity} code points, to be filled with {@link #append}. */
    public static NormalizedText withCapacity(int capacity) {
        return new NormalizedText(Math.max(capacity, 4));
    }

    /** Appends a code point that stands for the original range {@code [start, end)}. */
    public void append(int cp, int start, int end) {
        if (length == cps.length) {
            int n = Math.max(8, length * 2);
            cps = Arrays.copyOf(cps, n);
            starts = Arrays.copyOf(starts, n);
            ends = Arrays.copyOf(ends, n);
        }
        cps[length] = cp;
        starts[length] = start;
        ends[length] = end;
        length++;
    }

    /** The number of normalized code points. */
    public int length() {
        return length;
    }

    /** The normalized code point at {@code i}. */
    public int codePoint(int i) {
        return cps[i];
    }

    /** Where the code point at {@code i} starts in the original text. */
    public int start(int i) {
        return starts[i];
    }

    /** Where the code point at {@code i} ends in the original text. */
    public int end(int i) {
        return ends[i];
    }

    /** The normalized code points {@code [from, to)} as a string. */
    public String substring(int from, int to) {
        return new String(cps, from, to - from);
    }

    /** The code points {@code [from, to)} as a new text, with their alignments. */
    public NormalizedText slice(int from, int to) {
        NormalizedText t = new NormalizedText(Math.max(to - from, 1));
        System.arraycopy(cps, from, t.cps, 0, to - from);
        System.arraycopy(starts, from, t.starts, 0, to - from);
        System.arraycopy(ends, from, t.ends, 0, to - from);
        t.length = to - from;
        return t;
    }

    @Override
    public String toString() {
        return substring(0, length);
    }
}

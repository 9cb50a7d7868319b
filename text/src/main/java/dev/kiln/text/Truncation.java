package dev.kiln.text;

/**
 * How long encodings are cut. The length counts the special tokens the post-processor adds.
 *
 * @param maxLength the most tokens of an encoding, special tokens included
 * @param strategy which sequence of a pair loses tokens
 * @param fromLeft cut the first tokens rather than the last
 */
public record Truncation(int maxLength, Strategy strategy, boolean fromLeft) {
    /** Which sequence of a pair is cut. A single sequence is always cut. */
    public enum Strategy {
        /** Cut the longer sequence until both are as long, then both, one token each. */
        LONGEST_FIRST,
        /** Cut only the first sequence. */
        ONLY_FIRST,
        /** Cut only the second sequence. */
        ONLY_SECOND
    }

    /** Checks the length. */
    public Truncation {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be at least 1, got " + maxLength);
        }
        if (strategy == null) {
            throw new IllegalArgumentException("strategy is null");
        }
    }

    /** Keep the first {@code maxLength} tokens, cutting the longer sequence of a pair first. */
    public static Truncation of(int maxLength) {
        return new Truncation(maxLength, Strategy.LONGEST_FIRST, false);
    }
}

package dev.kiln.text;

/**
 * How encodings are padded: to the longest of a batch or to a fixed length, then up to a
 * multiple. Padding tokens have attention mask 0.
 *
 * @param fixedLength pad to this length; 0 pads to the longest encoding of the batch
 * @param padToMultipleOf round the padded length up to a multiple of this (0 or 1: no rounding)
 * @param fromLeft put the padding before the tokens
 * @param padId the padding token's id
 * @param padTypeId the padding token's type id
 * @param padToken the padding token
 */
public record Padding(int fixedLength, int padToMultipleOf, boolean fromLeft, int padId, int padTypeId, String padToken) {
    /**
     * The longest fixed length or multiple accepted: a padded encoding is allocated whole, so a
     * hostile {@code tokenizer.json} asking for billions of tokens is refused when it is read.
     */
    public static final int MAX_LENGTH = 1 << 20;

    /** Checks the lengths. */
    public Padding {
        if (fixedLength < 0 || padToMultipleOf < 0) {
            throw new IllegalArgumentException("padding lengths must not be negative");
        }
        if (fixedLength > MAX_LENGTH || padToMultipleOf > MAX_LENGTH) {
            throw new IllegalArgumentException("padding to " + Math.max(fixedLength, padToMultipleOf)
                    + " tokens; at most " + MAX_LENGTH + " are accepted");
        }
    }

    /** Pad on the right to the longest encoding of a batch with {@code [PAD]} (id 0). */
    public static Padding batchLongest() {
        return new Padding(0, 0, false, 0, 0, "[PAD]");
    }

    /** The length an encoding of {@code length} tokens is padded to, in a batch whose longest has {@code longest}. */
    int target(int length, int longest) {
        int n = fixedLength > 0 ? fixedLength : longest;
        if (padToMultipleOf > 1 && n % padToMultipleOf != 0) {
            n += padToMultipleOf - n % padToMultipleOf;
        }
        return Math.max(n, length);
    }
}

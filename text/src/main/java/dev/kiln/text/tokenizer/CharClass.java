package dev.kiln.text.tokenizer;

/**
 * Character classes as the BERT tokenizer defines them. They are not Java's
 * {@link Character#isWhitespace} (which leaves out no-break spaces): whitespace is the Unicode
 * {@code White_Space} property, control is the "Other" general categories, punctuation is every
 * ASCII punctuation character plus the Unicode "P" categories.
 */
public final class CharClass {
    private CharClass() {
    }

    /** Unicode {@code White_Space}: tab, line breaks, space, no-break spaces, the typographic spaces. */
    public static boolean isWhitespace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /**
     * Control characters that the BERT normalizer deletes: the "Other" categories control,
     * format, private use and surrogate, except tab, newline and carriage return, which it treats
     * as whitespace. Unassigned code points are kept (they end up as unknown tokens).
     */
    public static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        return switch (UnicodeCategories.type(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE -> true;
            default -> false;
        };
    }

    /** ASCII punctuation (including {@code $+<=>^`|~}, which Unicode files as symbols) or a Unicode "P" category. */
    public static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        }
        return switch (UnicodeCategories.type(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** A nonspacing mark (category Mn), what accent stripping removes after decomposition. */
    public static boolean isNonspacingMark(int cp) {
        return cp >= 0x300 && UnicodeCategories.type(cp) == Character.NON_SPACING_MARK;
    }

    /**
     * A CJK ideograph in the blocks BERT surrounds with spaces (the CJK Unified Ideographs and
     * extensions A to E, and the compatibility ideographs). Hangul, kana and CJK punctuation are not.
     */
    public static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}

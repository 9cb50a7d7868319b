package dev.kiln.text.tokenizer;

import java.text.Normalizer.Form;

/** The one-step normalizers that other normalizers are made of. */
public enum BasicNormalizer implements Normalizer {
    /**
     * Lowercasing per code point with the full Unicode mapping, without the context rules of
     * {@link String#toLowerCase} (no final sigma): U+0130 becomes "i" plus a combining dot.
     */
    LOWERCASE {
        @Override
        public NormalizedText normalize(NormalizedText in) {
            NormalizedText out = NormalizedText.withCapacity(in.length());
            for (int i = 0; i < in.length(); i++) {
                int cp = in.codePoint(i);
                if (cp == 0x130) {
                    out.append('i', in.start(i), in.end(i));
                    out.append(0x307, in.start(i), in.end(i));
                } else if (cp < 0x80) {
                    out.append(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp, in.start(i), in.end(i));
                } else {
                    out.append(Character.toLowerCase(cp), in.start(i), in.end(i));
                }
            }
            return out;
        }
    },
    /** Canonical decomposition; each part stays aligned with the character it came from. */
    NFD {
        @Override
        public NormalizedText normalize(NormalizedText in) {
            return decompose(in, false);
        }
    },
    /**
     * Removes combining marks (the accents that {@link #NFD} separates, and also spacing and
     * enclosing marks, with the JDK's Unicode tables: unlike the BERT normalizer's accent
     * stripping, this normalizer of the tokenizers library uses current ones).
     */
    STRIP_ACCENTS {
        @Override
        public NormalizedText normalize(NormalizedText in) {
            NormalizedText out = NormalizedText.withCapacity(in.length());
            for (int i = 0; i < in.length(); i++) {
                if (!isCombiningMark(in.codePoint(i))) {
                    out.append(in.codePoint(i), in.start(i), in.end(i));
                }
            }
            return out;
        }
    };

    private static boolean isCombiningMark(int cp) {
        int type = Character.getType(cp);
        return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
    }

    /** Canonical decomposition, dropping the nonspacing marks when {@code stripMarks}. */
    static NormalizedText decompose(NormalizedText in, boolean stripMarks) {
        NormalizedText out = NormalizedText.withCapacity(in.length());
        for (int i = 0; i < in.length(); i++) {
            int cp = in.codePoint(i);
            if (cp < 0xC0) {
                // Nothing below U+00C0 decomposes or is a nonspacing mark.
                out.append(cp, in.start(i), in.end(i));
                continue;
            }
            String d = java.text.Normalizer.normalize(Character.toString(cp), Form.NFD);
            for (int k = 0; k < d.length(); ) {
                int c = d.codePointAt(k);
                k += Character.charCount(c);
                if (!stripMarks || !CharClass.isNonspacingMark(c)) {
                    out.append(c, in.start(i), in.end(i));
                }
            }
        }
        return out;
    }
}

package dev.kiln.text.tokenizer;

/**
 * The BERT normalizer: removes control characters and turns whitespace into spaces, surrounds
 * CJK ideographs with spaces (so each becomes a word), strips accents (canonical decomposition,
 * then nonspacing marks removed) and lowercases, in that order.
 *
 * @param cleanText remove control characters and map whitespace to a space
 * @param handleChineseChars put spaces around CJK ideographs
 * @param stripAccents remove accents
 * @param lowercase lowercase (code point by code point, with full mappings)
 */
public record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase)
        implements Normalizer {

    @Override
    public NormalizedText normalize(NormalizedText in) {
        NormalizedText t = in;
        if (cleanText) {
            t = clean(t);
        }
        if (handleChineseChars) {
            t = spaceChinese(t);
        }
        if (stripAccents) {
            t = BasicNormalizer.decompose(t, true);
        }
        if (lowercase) {
            t = BasicNormalizer.LOWERCASE.normalize(t);
        }
        return t;
    }

    private static NormalizedText clean(NormalizedText in) {
        NormalizedText out = NormalizedText.withCapacity(in.length());
        for (int i = 0; i < in.length(); i++) {
            int cp = in.codePoint(i);
            if (cp == 0 || cp == 0xFFFD || CharClass.isControl(cp)) {
                continue;
            }
            out.append(CharClass.isWhitespace(cp) ? ' ' : cp, in.start(i), in.end(i));
        }
        return out;
    }

    private static NormalizedText spaceChinese(NormalizedText in) {
        NormalizedText out = NormalizedText.withCapacity(in.length() + 8);
        for (int i = 0; i < in.length(); i++) {
            int cp = in.codePoint(i);
            if (CharClass.isChinese(cp)) {
                out.append(' ', in.start(i), in.end(i));
                out.append(cp, in.start(i), in.end(i));
                out.append(' ', in.start(i), in.end(i));
            } else {
                out.append(cp, in.start(i), in.end(i));
            }
        }
        return out;
    }
}

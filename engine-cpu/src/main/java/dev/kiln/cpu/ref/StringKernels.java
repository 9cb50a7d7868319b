package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** String operators: StringNormalizer, StringConcat, StringSplit and RegexFullMatch. */
final class StringKernels {
    private StringKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(StringKernels::normalizer, "StringNormalizer");
        r.onnx(b -> StringKernels::concat, "StringConcat");
        r.onnx(StringKernels::split, "StringSplit");
        r.onnx(StringKernels::regexFullMatch, "RegexFullMatch");
    }

    private static Tensor strings(KernelContext k, int i) {
        Tensor t = k.tensor(i);
        if (t.dtype() != DType.STRING) {
            throw new IllegalArgumentException("input " + i + " must be a string tensor, got " + t.dtype());
        }
        return t;
    }

    // ------------------------------------------------------------------ StringNormalizer

    private static Kernel normalizer(BindContext b) {
        String action = b.node().attrString("case_change_action", "NONE");
        if (!List.of("NONE", "LOWER", "UPPER").contains(action)) {
            throw new ModelFormatException("StringNormalizer case_change_action must be NONE, LOWER or UPPER, got '"
                    + action + "'");
        }
        boolean caseSensitive = b.node().attrInt("is_case_sensitive", 0) != 0;
        String tag = b.node().attrString("locale", "en_US");
        Locale locale = Locale.forLanguageTag(tag.isEmpty() ? "en-US" : tag.replace('_', '-'));
        Set<String> stop = new HashSet<>();
        List<String> words = b.node().attrStrings("stopwords");
        if (words != null) {
            for (String w : words) {
                stop.add(caseSensitive ? w : w.toLowerCase(locale));
            }
        }
        return k -> {
            Tensor x = strings(k, 0);
            boolean row = x.rank() == 2;
            if (!(x.rank() == 1 || (row && x.shape().dim(0) == 1))) {
                throw new IllegalArgumentException("StringNormalizer takes a [C] or [1, C] tensor, got " + x.shape());
            }
            List<String> kept = new ArrayList<>();
            for (long i = 0; i < x.size(); i++) {
                String s = x.getString(i);
                if (stop.contains(caseSensitive ? s : s.toLowerCase(locale))) {
                    continue;
                }
                kept.add(switch (action) {
                    case "LOWER" -> s.toLowerCase(locale);
                    case "UPPER" -> s.toUpperCase(locale);
                    default -> s;
                });
            }
            // An all-removed input still yields one (empty) string, as the operator defines.
            if (kept.isEmpty()) {
                kept.add("");
            }
            Shape shape = row ? Shape.of(1, kept.size()) : Shape.of(kept.size());
            Tensor y = k.allocate(0, DType.STRING, shape);
            for (int i = 0; i < kept.size(); i++) {
                y.setString(i, kept.get(i));
            }
        };
    }

    // ------------------------------------------------------------------ StringConcat

    private static void concat(KernelContext k) {
        Tensor x = strings(k, 0);
        Tensor z = strings(k, 1);
        Broadcast bc = Broadcast.of(x.shape(), z.shape());
        Tensor y = k.allocate(0, DType.STRING, bc.shape());
        bc.forEachRow((o, len, start, step) -> {
            for (long i = 0; i < len; i++) {
                y.setString(o + i, x.getString(start[0] + i * step[0]) + z.getString(start[1] + i * step[1]));
            }
        });
    }

    // ------------------------------------------------------------------ StringSplit

    private static Kernel split(BindContext b) {
        String delimiter = b.node().attrString("delimiter", "");
        long maxSplit = b.node().attrInt("maxsplit", -1);
        return k -> {
            Tensor x = strings(k, 0);
            List<List<String>> parts = new ArrayList<>();
            int widest = 0;
            for (long i = 0; i < x.size(); i++) {
                List<String> p = delimiter.isEmpty() ? splitWhitespace(x.getString(i), maxSplit)
                        : splitOn(x.getString(i), delimiter, maxSplit);
                parts.add(p);
                widest = Math.max(widest, p.size());
            }
            long[] dims = AxisSlices.with(x.shape().dims(), x.rank(), widest);
            Tensor y = k.allocate(0, DType.STRING, Shape.of(dims));
            Tensor counts = k.allocate(1, DType.INT64, x.shape());
            for (int i = 0; i < parts.size(); i++) {
                List<String> p = parts.get(i);
                counts.setLong(i, p.size());
                for (int j = 0; j < widest; j++) {
                    y.setString((long) i * widest + j, j < p.size() ? p.get(j) : "");
                }
            }
        };
    }

    /** Splits on every occurrence of {@code delimiter}; empty pieces between consecutive delimiters count. */
    static List<String> splitOn(String s, String delimiter, long maxSplit) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(delimiter, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + delimiter.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /**
     * Splits on runs of whitespace, dropping leading and trailing whitespace. After
     * {@code maxSplit} splits the rest of the string, from its next non-space character, is the
     * last piece.
     */
    static List<String> splitWhitespace(String s, long maxSplit) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            if (i >= n) {
                break;
            }
            if (maxSplit >= 0 && out.size() == maxSplit) {
                out.add(s.substring(i));
                break;
            }
            int start = i;
            while (i < n && !isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            out.add(s.substring(start, i));
        }
        return out;
    }

    /** Unicode white space: the separators (including no-break spaces) and the control characters Java counts. */
    private static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
    }

    // ------------------------------------------------------------------ RegexFullMatch

    private static Kernel regexFullMatch(BindContext b) {
        String pattern = b.node().attrString("pattern", null);
        if (pattern == null) {
            throw new ModelFormatException("RegexFullMatch needs the 'pattern' attribute");
        }
        Pattern p = Re2.compile(pattern);
        return k -> {
            Tensor x = strings(k, 0);
            Tensor y = k.allocate(0, DType.BOOL, x.shape());
            for (long i = 0; i < x.size(); i++) {
                y.setLong(i, Re2.fullMatch(p, x.getString(i)) ? 1 : 0);
            }
        };
    }
}

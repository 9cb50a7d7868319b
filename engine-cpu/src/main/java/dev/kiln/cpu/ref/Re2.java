package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.ResourceLimitException;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles an RE2 pattern (the syntax ONNX's RegexFullMatch specifies) to a
 * {@link java.util.regex.Pattern} with the same full-match meaning. Where the syntaxes differ
 * the pattern is rewritten: {@code (?P<name>)} groups, POSIX classes such as
 * {@code [[:alpha:]]}, {@code \s} (RE2's has no vertical tab) and Unicode script names. Features
 * RE2 does not have (backreferences, lookaround, atomic groups, possessive quantifiers,
 * {@code \Z}, the ungreedy flag {@code U}, {@code \C}) make the pattern invalid, as RE2 would
 * reject it. Only {@code \n} ends a line, and {@code (?i)} folds case over Unicode, as in RE2.
 *
 * <p>RE2 matches in linear time; java.util.regex backtracks, and a hostile pattern can make it
 * take exponential time. {@link #fullMatch} therefore bounds the work per string (in character
 * reads, far above what a linear-time match needs) and fails past it, and stops when the
 * thread is interrupted.
 */
final class Re2 {
    private static final Map<String, String> POSIX = Map.ofEntries(
            Map.entry("alnum", "\\p{Alnum}"), Map.entry("alpha", "\\p{Alpha}"), Map.entry("ascii", "\\p{ASCII}"),
            Map.entry("blank", "\\p{Blank}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("digit", "\\p{Digit}"),
            Map.entry("graph", "\\p{Graph}"), Map.entry("lower", "\\p{Lower}"), Map.entry("print", "\\p{Print}"),
            Map.entry("punct", "\\p{Punct}"), Map.entry("space", "\\p{Space}"), Map.entry("upper", "\\p{Upper}"),
            Map.entry("word", "\\w"), Map.entry("xdigit", "\\p{XDigit}"));
    private static final String SPACE = "\\t\\n\\f\\r ";

    private Re2() {
    }

    /**
     * @throws ModelFormatException when the pattern is not valid RE2
     */
    static Pattern compile(String re2) {
        String java = translate(re2);
        try {
            return Pattern.compile(java, Pattern.UNIX_LINES | Pattern.UNICODE_CASE);
        } catch (PatternSyntaxException e) {
            throw new ModelFormatException("invalid RE2 pattern '" + re2 + "': " + e.getDescription());
        }
    }

    /**
     * True when {@code pattern} matches the whole of {@code input}.
     *
     * @throws ResourceLimitException when matching would take super-linear work, or the thread is interrupted
     */
    static boolean fullMatch(Pattern pattern, String input) {
        long budget = 10_000L * (input.length() + 16) * (pattern.pattern().length() + 16);
        return pattern.matcher(new Bounded(input, budget, pattern.pattern())).matches();
    }

    /** The input as the matcher reads it, one read at a time, each counted against a budget. */
    private static final class Bounded implements CharSequence {
        private final String s;
        private final String pattern;
        private final long[] left;

        Bounded(String s, long budget, String pattern) {
            this(s, new long[] {budget}, pattern);
        }

        private Bounded(String s, long[] left, String pattern) {
            this.s = s;
            this.left = left;
            this.pattern = pattern;
        }

        @Override
        public char charAt(int index) {
            if (--left[0] < 0 || ((left[0] & 0xFFF) == 0 && Thread.currentThread().isInterrupted())) {
                throw new ResourceLimitException("RegexFullMatch pattern '" + pattern
                        + "' needs too much backtracking on a " + s.length() + "-character string (or was interrupted)");
            }
            return s.charAt(index);
        }

        @Override
        public int length() {
            return s.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Bounded(s.substring(start, end), left, pattern);
        }

        @Override
        public String toString() {
            return s;
        }
    }

    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 16);
        int depth = 0;
        int i = 0;
        while (i < p.length()) {
            char c = p.charAt(i);
            if (c == '\\') {
                i = escape(p, i, depth > 0, out);
                continue;
            }
            if (depth > 0) {
                if (c == '[' && p.startsWith("[:", i)) {
                    int end = p.indexOf(":]", i + 2);
                    if (end < 0) {
                        throw invalid(p, "unterminated POSIX class");
                    }
                    String name = p.substring(i + 2, end);
                    boolean negated = name.startsWith("^");
                    String cls = POSIX.get(negated ? name.substring(1) : name);
                    if (cls == null) {
                        throw invalid(p, "unknown POSIX class [:" + name + ":]");
                    }
                    out.append(negated ? "[^" + cls + "]" : cls);
                    i = end + 2;
                    continue;
                }
                if (c == '[') {
                    // RE2 takes a '[' inside a class literally; Java would open a nested class.
                    out.append("\\[");
                    i++;
                    continue;
                }
                if (c == '&' && p.startsWith("&&", i)) {
                    out.append("&\\&");
                    i += 2;
                    continue;
                }
                if (c == ']') {
                    depth = 0;
                }
                out.append(c);
                i++;
                continue;
            }
            if (c == '[') {
                depth = 1;
                out.append(c);
                i++;
                if (i < p.length() && p.charAt(i) == '^') {
                    out.append('^');
                    i++;
                }
                if (i < p.length() && p.charAt(i) == ']') {
                    // A ']' first in a class is a literal in both syntaxes; Java needs it escaped.
                    out.append("\\]");
                    i++;
                }
                continue;
            }
            if (c == '(' && p.startsWith("(?", i)) {
                i = group(p, i, out);
                continue;
            }
            if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < p.length() && p.charAt(i + 1) == '+') {
                throw invalid(p, "possessive quantifiers are not RE2");
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static int group(String p, int i, StringBuilder out) {
        if (p.startsWith("(?P<", i)) {
            out.append("(?<");
            return i + 4;
        }
        if (p.startsWith("(?=", i) || p.startsWith("(?!", i) || p.startsWith("(?<=", i) || p.startsWith("(?<!", i)) {
            throw invalid(p, "lookaround is not RE2");
        }
        if (p.startsWith("(?>", i)) {
            throw invalid(p, "atomic groups are not RE2");
        }
        if (p.startsWith("(?<", i)) {
            out.append("(?<");
            return i + 3;
        }
        int j = i + 2;
        while (j < p.length() && p.charAt(j) != ')' && p.charAt(j) != ':') {
            char f = p.charAt(j);
            if ("imsU-".indexOf(f) < 0) {
                throw invalid(p, "unknown flag '" + f + "'");
            }
            if (f == 'U') {
                throw invalid(p, "the ungreedy flag U is not supported");
            }
            j++;
        }
        out.append(p, i, Math.min(j, p.length()));
        return j;
    }

    private static int escape(String p, int i, boolean inClass, StringBuilder out) {
        if (i + 1 >= p.length()) {
            throw invalid(p, "trailing backslash");
        }
        char e = p.charAt(i + 1);
        switch (e) {
            case 's' -> out.append(inClass ? SPACE : "[" + SPACE + "]");
            case 'S' -> out.append("[^" + SPACE + "]");
            case 'Z' -> throw invalid(p, "\\Z is not RE2");
            case 'C' -> throw invalid(p, "\\C is not supported");
            case 'p', 'P' -> {
                if (i + 2 < p.length() && p.charAt(i + 2) == '{') {
                    int end = p.indexOf('}', i + 3);
                    if (end < 0) {
                        throw invalid(p, "unterminated \\p{");
                    }
                    String name = p.substring(i + 3, end);
                    if (name.equals("Any")) {
                        out.append(e == 'p' ? "[\\x{0}-\\x{10FFFF}]" : "[^\\x{0}-\\x{10FFFF}]");
                    } else {
                        out.append('\\').append(e).append('{').append(unicodeClass(name)).append('}');
                    }
                    return end + 1;
                }
                out.append(p, i, Math.min(i + 3, p.length()));
                return i + 3;
            }
            case 'Q' -> {
                int end = p.indexOf("\\E", i + 2);
                int stop = end < 0 ? p.length() : end + 2;
                out.append(p, i, stop);
                return stop;
            }
            default -> {
                if (e >= '0' && e <= '7') {
                    // RE2 reads up to three octal digits (a lone \1 to \7 would be a backreference, which
                    // it rejects); Java spells the same code \0 followed by the digits.
                    int j = i + 1;
                    while (j < p.length() && j < i + 4 && p.charAt(j) >= '0' && p.charAt(j) <= '7') {
                        j++;
                    }
                    if (e != '0' && j == i + 2) {
                        throw invalid(p, "backreferences are not RE2");
                    }
                    out.append("\\0").append(p, i + 1, j);
                    return j;
                }
                if (e == '8' || e == '9') {
                    throw invalid(p, "backreferences are not RE2");
                }
                out.append('\\').append(e);
            }
        }
        return i + 2;
    }

    /** RE2 names scripts bare ({@code \p{Greek}}); Java wants {@code IsGreek} for a script. */
    private static String unicodeClass(String name) {
        if (name.length() <= 2) {
            return name;
        }
        try {
            Character.UnicodeScript.forName(name);
            return "Is" + name;
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    private static ModelFormatException invalid(String pattern, String why) {
        return new ModelFormatException("invalid RE2 pattern '" + pattern + "': " + why);
    }
}

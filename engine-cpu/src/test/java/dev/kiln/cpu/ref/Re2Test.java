package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ModelFormatException;
import org.junit.jupiter.api.Test;

/** RE2 patterns keep their RE2 meaning under java.util.regex, and non-RE2 syntax is refused. */
class Re2Test {

    private static boolean full(String pattern, String input) {
        return Re2.fullMatch(Re2.compile(pattern), input);
    }

    @Test
    void rewritesRe2OnlySyntax() {
        assertTrue(full("(?P<user>\\w+)@example\\.com", "ann@example.com"));
        assertTrue(full("[[:alpha:]]+[[:digit:]]", "abc1"));
        assertFalse(full("[[:^alpha:]]", "a"));
        assertTrue(full("\\p{Greek}+", "αβγ"));
        assertTrue(full("\\101", "A"));
        assertTrue(full("[a[]+", "a[a"));
    }

    @Test
    void keepsRe2SpaceAndLineSemantics() {
        // RE2's \s has no vertical tab; Java's has.
        assertFalse(full("\\s", "\u000B"));
        assertTrue(full("\\s", "\t"));
        // Only \n ends a line for '.'.
        assertTrue(full(".", "\r"));
        assertFalse(full(".", "\n"));
        assertTrue(full("(?i)straße", "STRAßE"));
    }

    @Test
    void refusesWhatRe2DoesNotHave() {
        for (String bad : new String[] {"(a)\\1", "a(?=b)", "(?<=a)b", "(?>a)", "a*+", "a\\Z", "(?U)a*"}) {
            assertThrows(ModelFormatException.class, () -> Re2.compile(bad), bad);
        }
    }

    @Test
    void catastrophicBacktrackingFailsInsteadOfHanging() {
        // Exponential for a backtracking matcher; RE2 would answer in linear time.
        String input = "a".repeat(40) + "!";
        assertThrows(dev.kiln.ResourceLimitException.class, () -> full("((a+)+)+b", input));
        assertFalse(full("(a|b)*c", "ab".repeat(1000)));
    }
}

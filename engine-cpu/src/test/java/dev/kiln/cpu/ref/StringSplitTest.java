package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** StringSplit's two modes: on a delimiter (empty pieces count) and on runs of white space. */
class StringSplitTest {

    @Test
    void delimiterKeepsEmptyPiecesAndHonoursMaxsplit() {
        assertEquals(List.of("a", "", "b", ""), StringKernels.splitOn("a--b-", "-", -1));
        assertEquals(List.of("a", "-b-"), StringKernels.splitOn("a--b-", "-", 1));
        assertEquals(List.of("abc"), StringKernels.splitOn("abc", "::", -1));
    }

    @Test
    void whitespaceDropsOuterSpaceAndKeepsTheRestAfterMaxsplit() {
        assertEquals(List.of("a", "b", "c"), StringKernels.splitWhitespace("  a \t b\u00a0c  ", -1));
        assertEquals(List.of("a", "b  c "), StringKernels.splitWhitespace(" a  b  c ", 1));
        assertEquals(List.of(), StringKernels.splitWhitespace("   ", -1));
    }
}

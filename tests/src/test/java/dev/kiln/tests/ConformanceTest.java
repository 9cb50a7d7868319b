package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every case in {@code expected-pass.txt} must pass, with all optimization passes and with none.
 * The list only grows (the scoreboard adds to it), so a regression fails the build.
 */
class ConformanceTest {

    @Test
    void expectedCasesPassWithAllPasses() {
        check("conformance-all");
    }

    @Test
    void expectedCasesPassWithNoPasses() {
        check("conformance-none", "--passes", "none");
    }

    private static void check(String work, String... args) {
        List<String> expected = ConformanceSuite.expectedPass();
        assertTrue(expected.size() > 0, "expected-pass.txt is empty or missing");
        Map<String, ConformanceSuite.Case> all = ConformanceSuite.byId(ConformanceSuite.onnxCases());
        List<ConformanceSuite.Case> cases = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String id : expected) {
            ConformanceSuite.Case c = all.get(id);
            if (c == null) {
                missing.add(id);
            } else {
                cases.add(c);
            }
        }
        if (!missing.isEmpty()) {
            fail("cases listed in expected-pass.txt are missing from the test data: " + missing);
        }
        List<String> failures = new ArrayList<>();
        for (ConformanceSuite.Result r : ConformanceSuite.run(cases, work, args)) {
            if (!r.passed()) {
                failures.add(r.c().id() + ": " + r.reason());
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases.size() + " expected-pass cases failed:\n  " + String.join("\n  ", failures));
        }
    }
}

package dev.kiln.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Regenerates the conformance scoreboard ({@code docs/conformance.md}) and grows
 * {@code expected-pass.txt} with every passing case. Run with {@code mvn -Pscoreboard test}
 * (see README); skipped in a normal build.
 */
@EnabledIfSystemProperty(named = "kiln.scoreboard", matches = "write")
class ScoreboardTest {

    @Test
    void writeScoreboard() throws IOException {
        List<ConformanceSuite.Case> cases = ConformanceSuite.onnxCases();
        List<ConformanceSuite.Result> results = ConformanceSuite.run(cases, "scoreboard");
        Path root = TestData.repoRoot();
        Path doc = root.resolve("docs/conformance.md");
        Files.createDirectories(doc.getParent());
        Files.writeString(doc, render(results), StandardCharsets.UTF_8);

        Path expected = root.resolve("tests/src/test/resources/dev/kiln/tests/expected-pass.txt");
        TreeSet<String> pass = new TreeSet<>(ConformanceSuite.expectedPass());
        for (ConformanceSuite.Result r : results) {
            if (r.passed()) {
                pass.add(r.c().id());
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add("# Conformance cases that must keep passing (grown by the scoreboard; never shrink it).");
        lines.addAll(pass);
        Files.write(expected, lines, StandardCharsets.UTF_8);
    }

    private static String render(List<ConformanceSuite.Result> results) {
        StringBuilder b = new StringBuilder();
        b.append("# Conformance scoreboard\n\n");
        b.append("Generated on ").append(LocalDate.now()).append(" by `mvn -B -q -Pscoreboard test` "
                + "(cases run through `kiln run-batch`, compared with the official tolerances).\n\n");
        b.append("| suite | passed | cases | rate |\n| --- | ---: | ---: | ---: |\n");
        Map<String, int[]> bySuite = new TreeMap<>();
        for (ConformanceSuite.Result r : results) {
            int[] c = bySuite.computeIfAbsent(r.c().suite(), k -> new int[2]);
            c[1]++;
            if (r.passed()) {
                c[0]++;
            }
        }
        int pass = 0;
        int total = 0;
        for (String s : ConformanceSuite.SUITES) {
            int[] c = bySuite.getOrDefault(s, new int[2]);
            pass += c[0];
            total += c[1];
            b.append("| ").append(s).append(" | ").append(c[0]).append(" | ").append(c[1]).append(" | ")
                    .append(String.format("%.1f%%", c[1] == 0 ? 0 : 100.0 * c[0] / c[1])).append(" |\n");
        }
        b.append("| **all** | ").append(pass).append(" | ").append(total).append(" | ")
                .append(String.format("%.1f%%", total == 0 ? 0 : 100.0 * pass / total)).append(" |\n\n");

        b.append("## By operator\n\nA case counts for every operator its model uses.\n\n");
        b.append("| operator | passed | cases |\n| --- | ---: | ---: |\n");
        Map<String, int[]> byOp = new TreeMap<>();
        for (ConformanceSuite.Result r : results) {
            for (String op : r.ops()) {
                int[] c = byOp.computeIfAbsent(op, k -> new int[2]);
                c[1]++;
                if (r.passed()) {
                    c[0]++;
                }
            }
        }
        byOp.forEach((op, c) -> b.append("| ").append(op).append(" | ").append(c[0]).append(" | ").append(c[1])
                .append(" |\n"));

        b.append("\n## Failing cases\n\n| case | reason |\n| --- | --- |\n");
        for (ConformanceSuite.Result r : results) {
            if (!r.passed()) {
                String reason = r.reason() == null ? "" : r.reason().replace("|", "\\|");
                if (reason.length() > 300) {
                    reason = reason.substring(0, 300) + "...";
                }
                b.append("| ").append(r.c().id()).append(" | ").append(reason).append(" |\n");
            }
        }
        return b.toString();
    }
}

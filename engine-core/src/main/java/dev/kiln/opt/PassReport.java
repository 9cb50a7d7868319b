package dev.kiln.opt;

import java.util.Map;

/**
 * What one pass did.
 *
 * @param pass the pass name
 * @param nodesBefore nodes before the pass
 * @param nodesAfter nodes after it
 * @param rewrites patches applied, by rule (or pass) name
 * @param millis time the pass took, checks included
 */
public record PassReport(String pass, int nodesBefore, int nodesAfter, Map<String, Integer> rewrites, double millis) {
    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%-22s %5d -> %5d nodes %8.1f ms  %s", pass, nodesBefore, nodesAfter,
                millis, rewrites.isEmpty() ? "" : rewrites.toString());
    }
}

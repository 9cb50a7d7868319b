package dev.kiln.opt;

import dev.kiln.graph.Node;
import java.util.Set;

/**
 * A local rewrite: looks at the pattern around one node and, when it matches, returns the
 * {@link Patch} that replaces it. A rule never changes the graph itself; it returns
 * {@code null} as soon as something does not fit (early exits keep rules short).
 */
public interface RewriteRule {
    /** The rule's name, used in pass reports. */
    String name();

    /** The op types a match can start at; the pass only offers these nodes. Empty means every node. */
    Set<String> roots();

    /**
     * @param node a node of the graph whose op type is one of {@link #roots()}
     * @param graph the graph, for producers, consumers, types and constants
     * @return the rewrite, or {@code null} when the pattern does not match here
     */
    Patch match(Node node, OptGraph graph);
}

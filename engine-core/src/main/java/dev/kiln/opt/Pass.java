package dev.kiln.opt;

/**
 * One named rewrite of a whole graph. A pass reads the graph through {@link OptGraph} and changes
 * it only by {@linkplain OptGraph#apply applying} {@link Patch}es, so every change is checked and
 * can be dumped. Most passes are a {@link RulePass}: a list of {@link RewriteRule}s applied until
 * none matches.
 */
public interface Pass {
    /** The name {@link dev.kiln.Options#passes} selects this pass by. */
    String name();

    /**
     * Rewrites the graph.
     *
     * @return true when the graph changed
     */
    boolean run(OptGraph graph);
}

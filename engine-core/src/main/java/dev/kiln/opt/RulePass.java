package dev.kiln.opt;

import dev.kiln.graph.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * A pass made of rewrite rules: visits the nodes in execution order, offers each to the rules
 * rooted at its op type, applies the first patch returned (unless it would move work to a less
 * preferred backend, see {@link OptGraph#preferred}), and sweeps again until a sweep changes
 * nothing. Rules are tried in the order given.
 */
public class RulePass implements Pass {
    /** Sweeps before giving up on reaching a fixed point (a rule pair undoing each other). */
    private static final int MAX_SWEEPS = 16;

    private final String name;
    private final List<RewriteRule> rules;

    /**
     * @param name the pass name
     * @param rules the rules, tried in this order at each node
     */
    public RulePass(String name, List<RewriteRule> rules) {
        this.name = name;
        this.rules = List.copyOf(rules);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean run(OptGraph graph) {
        boolean changed = false;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean any = false;
            for (Node n : new ArrayList<>(graph.nodes())) {
                if (!graph.contains(n)) {
                    continue;
                }
                for (RewriteRule r : rules) {
                    if (!r.roots().isEmpty() && !r.roots().contains(n.opType())) {
                        continue;
                    }
                    Patch p = r.match(n, graph);
                    if (p != null && graph.preferred(p)) {
                        graph.apply(p, r.name());
                        any = true;
                        break;
                    }
                }
            }
            if (!any) {
                break;
            }
            changed = true;
        }
        return changed;
    }

    @Override
    public String toString() {
        return name + rules.stream().map(RewriteRule::name).toList();
    }
}

package dev.kiln.opt;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import java.util.List;

/**
 * The compiler's ordering and type inference, as the optimizer uses them: the compiler supplies
 * one, so passes see exactly the types and constants the compiler will.
 */
public interface Analyzer {
    /** Orders and types a whole graph from scratch (constant inputs are evaluated where small). */
    Analysis analyze(Graph graph);

    /** A valid execution order of the graph's nodes, keeping the given order where it is valid. */
    List<Node> sort(Graph graph);

    /** Types the outputs of {@code nodes} (given in execution order) into {@code analysis}. */
    void infer(List<Node> nodes, Graph graph, Analysis analysis);
}

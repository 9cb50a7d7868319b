package dev.kiln.opt;

import dev.kiln.graph.Node;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.List;
import java.util.Map;

/**
 * What the compiler knows about a graph: its nodes in execution order, the static type of every
 * value it could infer, and the values known at compile time (initializers and folded results).
 * The maps are mutable: the optimizer adds entries for the values its patches create.
 *
 * @param order the nodes in a valid execution order
 * @param types value types by name
 * @param constants compile-time constant values by name
 */
public record Analysis(List<Node> order, Map<String, ValueType> types, Map<String, Tensor> constants) {
}

package dev.kiln.backend;

import dev.kiln.Options;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;

/** What a backend knows about a node when it binds a kernel. */
public interface BindContext {
    /** The node. */
    Node node();

    /** The opset version in force for the node's domain. */
    int opset();

    /** Number of inputs (absent optional inputs included). */
    int inputCount();

    /** The static type of input {@code i}, or {@code null} when unknown or absent. */
    ValueType inputType(int i);

    /** The value of input {@code i} when it is a constant (an initializer), else {@code null}. */
    Tensor constantInput(int i);

    /** The static type of output {@code i}, or {@code null} when unknown. */
    ValueType outputType(int i);

    /** Compiles a graph attribute of this node for execution by the kernel. */
    Subgraph compile(Graph body);

    /** The session options. */
    Options options();
}

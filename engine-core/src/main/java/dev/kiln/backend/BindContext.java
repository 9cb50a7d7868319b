package dev.kiln.backend;

import dev.kiln.Options;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.function.Function;

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

    /**
     * A value derived from a constant input (such as its weights packed for a kernel), computed
     * once per session and shared by every plan the session compiles: a session compiles one
     * plan per input shape it meets, and each would otherwise hold its own copy.
     *
     * @param constant the constant the value is derived from (shared by identity)
     * @param kind what the value is, with every parameter {@code derive} depends on besides the
     *     constant (e.g. {@code "matmul-b/alpha=0.5"}); two calls with the same constant and kind
     *     get the same value
     * @param derive computes the value; may return {@code null} (also shared)
     */
    default <T> T derived(Tensor constant, String kind, Function<Tensor, T> derive) {
        return derive.apply(constant);
    }
}

package dev.kiln.ops;

import dev.kiln.ShapeInferenceException;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;

/** What type inference knows about one node's inputs, and where it records the outputs. */
public interface InferenceContext {
    /** The node. */
    Node node();

    /** The opset version in force for the node's domain. */
    int opset();

    /** Number of inputs, absent optional ones included. */
    int inputCount();

    /** True when input {@code i} is present. */
    default boolean hasInput(int i) {
        return node().hasInput(i);
    }

    /** The type of input {@code i}, or {@code null} when unknown or absent. */
    ValueType inputType(int i);

    /** The tensor type of input {@code i}, or {@code null} when unknown, absent or not a tensor. */
    default ValueType.TensorType tensorType(int i) {
        return inputType(i) instanceof ValueType.TensorType t ? t : null;
    }

    /** The value of input {@code i} when known at compile time, else {@code null}. */
    Tensor constant(int i);

    /** Records the type of output {@code i}. */
    void output(int i, ValueType type);

    /** Records that output {@code i} is a compile-time constant (implies its type). */
    void outputConstant(int i, Tensor value);

    /** An exception naming this node, for contradictions found while inferring. */
    default ShapeInferenceException fail(String reason) {
        ShapeInferenceException e = new ShapeInferenceException(reason);
        e.atNode(node().describe());
        return e;
    }
}

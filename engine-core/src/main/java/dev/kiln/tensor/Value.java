package dev.kiln.tensor;

/**
 * A runtime value flowing along a graph edge: a tensor, a sequence, an optional or a map.
 * Control flow, sequences and optionals are first-class, so every kernel and the executor
 * handle this whole family.
 */
public sealed interface Value permits Tensor, SequenceValue, OptionalValue, MapValue {
    /** The type of this value, with a concrete shape for tensors. */
    ValueType type();
}

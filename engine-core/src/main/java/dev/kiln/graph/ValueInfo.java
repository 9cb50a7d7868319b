package dev.kiln.graph;

import dev.kiln.tensor.ValueType;

/**
 * A named value of a graph with its declared type.
 *
 * @param name the value's name
 * @param type the declared type, or {@code null} when the model does not say
 */
public record ValueInfo(String name, ValueType type) { }

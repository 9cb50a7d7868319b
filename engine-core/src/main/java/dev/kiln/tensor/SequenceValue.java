package dev.kiln.tensor;

import java.util.List;
import java.util.Objects;

/**
 * An ONNX sequence: an ordered list of values of one element type.
 *
 * @param elementType the type of every element (known even when the sequence is empty)
 * @param elements the elements, unmodifiable
 */
public record SequenceValue(ValueType elementType, List<Value> elements) implements Value {
    public SequenceValue {
        Objects.requireNonNull(elementType, "elementType");
        elements = List.copyOf(elements);
    }

    /** Number of elements. */
    public int size() {
        return elements.size();
    }

    /** Element {@code i}. */
    public Value get(int i) {
        return elements.get(i);
    }

    @Override
    public ValueType type() {
        return new ValueType.SequenceType(elementType);
    }
}

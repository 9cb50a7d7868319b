package dev.kiln.tensor;

import java.util.Objects;

/**
 * An ONNX optional: a value of a known type, or none.
 *
 * @param elementType the type of the value when present
 * @param value the value, or {@code null} when empty
 */
public record OptionalValue(ValueType elementType, Value value) implements Value {
    public OptionalValue {
        Objects.requireNonNull(elementType, "elementType");
    }

    /** An empty optional of the given element type. */
    public static OptionalValue empty(ValueType elementType) {
        return new OptionalValue(elementType, null);
    }

    /** True when a value is present. */
    public boolean isPresent() {
        return value != null;
    }

    @Override
    public ValueType type() {
        return new ValueType.OptionalType(elementType);
    }
}

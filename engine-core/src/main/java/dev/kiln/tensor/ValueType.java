package dev.kiln.tensor;

import java.util.Objects;

/**
 * The static type of a value: a tensor type (element type and a possibly symbolic shape),
 * a sequence, an optional or a map.
 */
public sealed interface ValueType {

    /** A tensor type of unknown shape. */
    static TensorType tensor(DType dtype) {
        return new TensorType(dtype, null);
    }

    /** A tensor type with a known shape. */
    static TensorType tensor(DType dtype, Shape shape) {
        return new TensorType(dtype, SymbolicShape.of(shape));
    }

    /** A tensor type with a symbolic shape. */
    static TensorType tensor(DType dtype, SymbolicShape shape) {
        return new TensorType(dtype, shape);
    }

    /**
     * A tensor type.
     *
     * @param dtype the element type
     * @param shape the shape, or {@code null} when even the rank is unknown
     */
    record TensorType(DType dtype, SymbolicShape shape) implements ValueType {
        public TensorType {
            Objects.requireNonNull(dtype, "dtype");
        }

        /** True when the rank is known. */
        public boolean hasRank() {
            return shape != null;
        }

        @Override
        public String toString() {
            return dtype + (shape == null ? "[?]" : shape.toString());
        }
    }

    /** A sequence type. */
    record SequenceType(ValueType elementType) implements ValueType {
        @Override
        public String toString() {
            return "seq(" + elementType + ")";
        }
    }

    /** An optional type. */
    record OptionalType(ValueType elementType) implements ValueType {
        @Override
        public String toString() {
            return "optional(" + elementType + ")";
        }
    }

    /** A map type. */
    record MapType(DType keyType, ValueType valueType) implements ValueType {
        @Override
        public String toString() {
            return "map(" + keyType + "," + valueType + ")";
        }
    }
}

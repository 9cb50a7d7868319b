package dev.kiln.tensor;

import java.util.Objects;

/**
 * One dimension while compiling: a known size, a named symbol (equal wherever the same name
 * appears in a graph, such as {@code batch}), or unknown.
 */
public final class Dim {
    /** A dimension nothing is known about. */
    public static final Dim UNKNOWN = new Dim(-1, null);

    private static final Dim[] SMALL = new Dim[65];

    static {
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = new Dim(i, null);
        }
    }

    private final long value;
    private final String symbol;

    private Dim(long value, String symbol) {
        this.value = value;
        this.symbol = symbol;
    }

    /** A known dimension. */
    public static Dim of(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative dimension " + value);
        }
        return value < SMALL.length ? SMALL[(int) value] : new Dim(value, null);
    }

    /** A symbolic dimension; an empty name means unknown. */
    public static Dim symbol(String name) {
        return name == null || name.isEmpty() ? UNKNOWN : new Dim(-1, name);
    }

    /** True when the size is known. */
    public boolean isKnown() {
        return value >= 0;
    }

    /** True when this is a named symbol. */
    public boolean isSymbol() {
        return symbol != null;
    }

    /** The size; only valid when {@link #isKnown()}. */
    public long value() {
        if (value < 0) {
            throw new IllegalStateException("dimension " + this + " is not known");
        }
        return value;
    }

    /** The symbol name, or {@code null}. */
    public String symbolName() {
        return symbol;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dim d && d.value == value && Objects.equals(d.symbol, symbol);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value) * 31 + Objects.hashCode(symbol);
    }

    @Override
    public String toString() {
        return value >= 0 ? Long.toString(value) : symbol != null ? symbol : "?";
    }
}

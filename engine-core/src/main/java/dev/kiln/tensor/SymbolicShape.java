package dev.kiln.tensor;

import java.util.ArrayList;
import java.util.List;

/** A shape while compiling: a rank and one {@link Dim} per axis. Immutable. */
public final class SymbolicShape {
    private final Dim[] dims;

    private SymbolicShape(Dim[] dims) {
        this.dims = dims;
    }

    /** A shape from dimensions. */
    public static SymbolicShape of(List<Dim> dims) {
        return new SymbolicShape(dims.toArray(new Dim[0]));
    }

    /** A shape from dimensions. */
    public static SymbolicShape of(Dim... dims) {
        return new SymbolicShape(dims.clone());
    }

    /** The fully known shape equal to {@code shape}. */
    public static SymbolicShape of(Shape shape) {
        Dim[] d = new Dim[shape.rank()];
        for (int i = 0; i < d.length; i++) {
            d[i] = Dim.of(shape.dim(i));
        }
        return new SymbolicShape(d);
    }

    /** A fully known shape. */
    public static SymbolicShape known(long... dims) {
        return of(Shape.of(dims));
    }

    /** A shape of the given rank with every dimension unknown. */
    public static SymbolicShape unknownDims(int rank) {
        Dim[] d = new Dim[rank];
        java.util.Arrays.fill(d, Dim.UNKNOWN);
        return new SymbolicShape(d);
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Dimension {@code i}; negative counts from the end. */
    public Dim dim(int i) {
        return dims[i < 0 ? i + dims.length : i];
    }

    /** The dimensions as a list. */
    public List<Dim> dims() {
        return List.of(dims);
    }

    /** True when every dimension is known. */
    public boolean isKnown() {
        for (Dim d : dims) {
            if (!d.isKnown()) {
                return false;
            }
        }
        return true;
    }

    /** The concrete shape; only valid when {@link #isKnown()}. */
    public Shape toShape() {
        long[] d = new long[dims.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = dims[i].value();
        }
        return Shape.of(d);
    }

    /** This shape with dimension {@code i} replaced. */
    public SymbolicShape with(int i, Dim d) {
        Dim[] c = dims.clone();
        c[i] = d;
        return new SymbolicShape(c);
    }

    /** A new list builder seeded with these dims. */
    public List<Dim> toList() {
        return new ArrayList<>(List.of(dims));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SymbolicShape s && java.util.Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(dims[i]);
        }
        return b.append(']').toString();
    }
}

package dev.kiln.exec;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.MapValue;
import dev.kiln.tensor.OptionalValue;
import dev.kiln.tensor.SequenceValue;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;

/**
 * What a value costs in memory, for the budget: the data bytes of a tensor, and for values that
 * live on the Java heap (string tensors, sequences, optionals, maps) an estimate that counts
 * object headers and references, so that a million empty strings are not free.
 */
final class HeapBytes {
    /** An object header plus a reference: the least any heap element costs. */
    static final long PER_OBJECT = 24;

    private HeapBytes() {
    }

    /** Bytes of a string tensor of {@code count} empty strings; -1 when that overflows. */
    static long strings(long count) {
        return count > Long.MAX_VALUE / PER_OBJECT ? -1 : count * PER_OBJECT;
    }

    /** Bytes of a value and everything it holds; -1 when that overflows. */
    static long of(Value v) {
        return switch (v) {
            case Tensor t when t.dtype() == DType.STRING -> {
                long n = strings(t.size());
                for (long i = 0; i < t.size() && n >= 0; i++) {
                    n = add(n, 2L * t.getString(i).length());
                }
                yield n;
            }
            case Tensor t -> t.byteSize();
            case SequenceValue s -> {
                long n = PER_OBJECT;
                for (Value e : s.elements()) {
                    n = add(n, add(of(e), PER_OBJECT));
                }
                yield n;
            }
            case OptionalValue o -> o.value() == null ? PER_OBJECT : add(of(o.value()), PER_OBJECT);
            case MapValue m -> add(of(m.keys()), of(m.values()));
        };
    }

    private static long add(long a, long b) {
        return a < 0 || b < 0 || a > Long.MAX_VALUE - b ? -1 : a + b;
    }
}

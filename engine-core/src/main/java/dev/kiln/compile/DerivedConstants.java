package dev.kiln.compile;

import dev.kiln.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.function.Function;

/**
 * Values kernels derive from constants (packed weights), kept for the life of a compiler so that
 * the plans it compiles for different input shapes share one copy instead of packing again:
 * an embedding session meets a new sequence length at almost every batch.
 */
final class DerivedConstants {
    /**
     * Keyed by the constant's identity ({@link Tensor} keeps Object's equality): initializers are
     * the same objects in every compilation. Weak, because a constant that a compilation folds
     * anew (a transposed weight) is another object each time and must go with the plan holding
     * it; derived values therefore must not reference their constant.
     */
    private final Map<Tensor, Map<String, Optional<Object>>> values = new WeakHashMap<>();

    @SuppressWarnings("unchecked")
    synchronized <T> T get(Tensor constant, String kind, Function<Tensor, T> derive) {
        Map<String, Optional<Object>> byKind = values.computeIfAbsent(constant, k -> new HashMap<>());
        Optional<Object> v = byKind.get(kind);
        if (v == null) {
            v = Optional.ofNullable(derive.apply(constant));
            byKind.put(kind, v);
        }
        return (T) v.orElse(null);
    }
}

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
            release(constant);
        }
        return (T) v.orElse(null);
    }

    /**
     * Drops the constant's pages from this process's resident memory when it is mapped from the
     * model file: deriving read it whole, and kernels read the derived copy from now on, so
     * otherwise every packed weight would be resident twice. Pages something still reads come
     * back from the operating system's file cache.
     */
    private static void release(Tensor constant) {
        if (constant.data().isMapped()) {
            try {
                constant.data().unload();
            } catch (UnsupportedOperationException | IllegalStateException e) {
                // Not unloadable here (a closed or foreign mapping): it only stays resident.
            }
        }
    }
}

package dev.kiln.backend;

import dev.kiln.BackendUnavailableException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds backends on the class path with {@link ServiceLoader}. Each call makes new instances,
 * so a session owns the backends it was given and closes them.
 */
public final class Backends {
    private Backends() {
    }

    /** Every backend found, by priority, available on this machine or not. */
    public static List<Backend> all() {
        List<Backend> r = new ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) {
            r.add(b);
        }
        r.sort(Comparator.comparingInt(Backend::priority));
        return r;
    }

    /**
     * The backends named, in that order; every available backend by priority when {@code names}
     * is empty.
     *
     * <p>A named backend that cannot run on this machine (see {@link Backend#unavailableReason})
     * is an error, unless a backend named after it can run: naming a fallback
     * ({@code "cuda", "cpu-ref"}) is how a caller asks for one. With no names, backends that
     * cannot run are left out silently, since none was asked for.
     *
     * @throws BackendUnavailableException when a named backend is not on the class path, or
     *     cannot run and no backend named after it can
     */
    public static List<Backend> select(List<String> names) {
        return select(names, all());
    }

    /** {@link #select(List)} among the given backends (tests pass their own). */
    public static List<Backend> select(List<String> names, List<Backend> candidates) {
        List<Backend> r = new ArrayList<>();
        if (names.isEmpty()) {
            for (Backend b : candidates) {
                if (b.unavailableReason() == null) {
                    r.add(b);
                }
            }
            if (r.isEmpty()) {
                throw new BackendUnavailableException("no Kiln backend on the class path can run here; add dev.kiln:engine-cpu");
            }
            return r;
        }
        List<Backend> named = new ArrayList<>();
        for (String n : names) {
            Backend found = null;
            for (Backend b : candidates) {
                if (b.name().equals(n)) {
                    found = b;
                }
            }
            if (found == null) {
                throw new BackendUnavailableException("backend '" + n + "' is not available; available: "
                        + candidates.stream().map(Backend::name).toList());
            }
            named.add(found);
        }
        String[] reasons = new String[named.size()];
        for (int i = 0; i < named.size(); i++) {
            reasons[i] = named.get(i).unavailableReason();
        }
        for (int i = 0; i < named.size(); i++) {
            if (reasons[i] == null) {
                r.add(named.get(i));
            } else if (!anyAvailableAfter(reasons, i)) {
                throw new BackendUnavailableException("backend '" + named.get(i).name() + "' cannot run here: " + reasons[i]);
            }
        }
        return r;
    }

    private static boolean anyAvailableAfter(String[] reasons, int i) {
        for (int j = i + 1; j < reasons.length; j++) {
            if (reasons[j] == null) {
                return true;
            }
        }
        return false;
    }
}

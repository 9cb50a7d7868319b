package dev.kiln.backend;

import dev.kiln.BackendUnavailableException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds backends on the class path with {@link ServiceLoader}. */
public final class Backends {
    private Backends() {
    }

    /** Every backend found, by priority. */
    public static List<Backend> all() {
        List<Backend> r = new ArrayList<>();
        for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) {
            r.add(b);
        }
        r.sort(Comparator.comparingInt(Backend::priority));
        return r;
    }

    /**
     * The backends named, in that order; all backends when {@code names} is empty.
     *
     * @throws BackendUnavailableException when a named backend is not on the class path
     */
    public static List<Backend> select(List<String> names) {
        List<Backend> all = all();
        if (names.isEmpty()) {
            if (all.isEmpty()) {
                throw new BackendUnavailableException("no Kiln backend on the class path; add dev.kiln:engine-cpu");
            }
            return all;
        }
        List<Backend> r = new ArrayList<>();
        for (String n : names) {
            Backend found = null;
            for (Backend b : all) {
                if (b.name().equals(n)) {
                    found = b;
                }
            }
            if (found == null) {
                throw new BackendUnavailableException("backend '" + n + "' is not available; available: "
                        + all.stream().map(Backend::name).toList());
            }
            r.add(found);
        }
        return r;
    }
}

package dev.kiln.cli;

import dev.kiln.Options;
import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --device}: which device runs the model. {@code cpu} (the default) uses the CPU
 * backends (or those {@code --backend} names). {@code cuda} and {@code metal} require a usable
 * GPU (else the command fails with the reason, as a {@link dev.kiln.BackendUnavailableException},
 * e.g. Metal on anything but macOS) and put the CPU backends after the GPU backend for the
 * operators it has no kernel for.
 */
final class Devices {
    private Devices() {
    }

    static Options apply(Options o, String device) {
        if (device == null || device.equals("cpu")) {
            return o.backends().isEmpty() ? o.backends(hostBackends().toArray(new String[0])) : o;
        }
        if (!device.equals("cuda") && !device.equals("metal")) {
            throw new IllegalArgumentException("unknown device '" + device + "'; use cpu, cuda or metal");
        }
        for (Backend b : Backends.select(List.of(device))) {
            b.close();
        }
        List<String> names = new ArrayList<>(List.of(device));
        names.addAll(hostBackends());
        return o.backends(names.toArray(new String[0]));
    }

    private static List<String> hostBackends() {
        List<String> r = new ArrayList<>();
        for (Backend b : Backends.all()) {
            if (b.device().hostMemory()) {
                r.add(b.name());
            }
            b.close();
        }
        return r;
    }
}

package dev.kiln.metal;

/**
 * Finds out, once per process, whether this machine can run the Metal backend, and if not,
 * why: not macOS, the framework cannot be loaded, no device, or a GPU without SIMD-group
 * matrices or unified memory.
 */
final class MetalProbe {
    private static volatile String reason;
    private static volatile boolean probed;

    private MetalProbe() {
    }

    /** Why the Metal backend cannot run here, or {@code null} when it can. */
    static String unavailableReason() {
        if (!probed) {
            synchronized (MetalProbe.class) {
                if (!probed) {
                    reason = probe(System.getProperty("os.name"));
                    probed = true;
                }
            }
        }
        return reason;
    }

    /** What {@link #unavailableReason} says on an OS that is not macOS, or {@code null} on macOS. */
    static String osReason(String osName) {
        return MetalLibraries.isMac(osName) ? null : "Metal exists only on macOS; this is " + osName;
    }

    private static String probe(String osName) {
        String r = osReason(osName);
        if (r != null) {
            return r;
        }
        r = MetalLibraries.load();
        if (r != null) {
            return r;
        }
        try (MetalDevice d = MetalDevice.systemDefault()) {
            return d.unsuitableReason();
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }
}

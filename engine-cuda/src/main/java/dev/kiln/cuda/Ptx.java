package dev.kiln.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PTX modules packaged in this jar (built by nvcc from {@code native/cuda}), and what they
 * demand of the driver: a driver JIT-compiles PTX only from a toolkit no newer than itself.
 */
final class Ptx {
    /** The modules, one per kernel source file. */
    static final List<String> MODULES = List.of("attention", "conv", "copy", "elementwise", "gemm", "normalization", "pool",
            "reduce", "softmax");
    private static final Pattern RELEASE = Pattern.compile("Cuda compilation tools, release (\\d+)\\.(\\d+)");
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\(");

    private Ptx() {
    }

    /** The text of every module, by name. */
    static Map<String, String> load() {
        Map<String, String> r = new LinkedHashMap<>();
        for (String m : MODULES) {
            r.put(m, text(m));
        }
        return r;
    }

    static String text(String module) {
        try (InputStream in = Ptx.class.getResourceAsStream("ptx/" + module + ".ptx")) {
            if (in == null) {
                throw new IllegalStateException("PTX module " + module + " is missing from the engine-cuda jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The kernel entry points a module defines. */
    static List<String> entries(String ptx) {
        Matcher m = ENTRY.matcher(ptx);
        List<String> r = new java.util.ArrayList<>();
        while (m.find()) {
            r.add(m.group(1));
        }
        return r;
    }

    /**
     * The oldest driver (as {@code cuDriverGetVersion} reports it, 1000 * major + 10 * minor) that
     * can load this PTX: the release of the nvcc that wrote it, from its header.
     */
    static int requiredDriverVersion(String ptx) {
        Matcher m = RELEASE.matcher(ptx);
        if (!m.find()) {
            throw new IllegalStateException("PTX without an nvcc release in its header");
        }
        return Integer.parseInt(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) * 10;
    }
}

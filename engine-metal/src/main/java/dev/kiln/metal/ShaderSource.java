package dev.kiln.metal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Metal Shading Language sources packaged in this jar (from {@code native/metal}), as the
 * one source string newLibraryWithSource compiles: MTLCompileOptions has no include path, so
 * the shared header is put first and each kernel file's include of it is dropped.
 */
final class ShaderSource {
    /** The header every kernel file includes. */
    static final String HEADER = "kiln_metal.h";
    /** The kernel files, one per family. */
    static final List<String> FILES = List.of("attention.metal", "conv.metal", "elementwise.metal", "gemm.metal",
            "normalization.metal", "reduce.metal", "softmax.metal");
    private static final String INCLUDE = "#include \"" + HEADER + "\"";

    private ShaderSource() {
    }

    /** The combined source. */
    static String combined() {
        StringBuilder b = new StringBuilder(text(HEADER).replace("#pragma once", ""));
        for (String f : FILES) {
            b.append("\n// ---- ").append(f).append('\n');
            String t = text(f);
            if (!t.contains(INCLUDE)) {
                throw new IllegalStateException(f + " does not include " + HEADER);
            }
            b.append(t.replace(INCLUDE, ""));
        }
        return b.toString();
    }

    static String text(String file) {
        try (InputStream in = ShaderSource.class.getResourceAsStream("shaders/" + file)) {
            if (in == null) {
                throw new IllegalStateException("Metal source " + file + " is missing from the engine-metal jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

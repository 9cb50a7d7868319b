package dev.kiln.tests;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared test data lives: system properties set by the build, else the usual folders. */
public final class TestData {
    private TestData() {
    }

    /** The ONNX backend test data ({@code node/}, {@code simple/}, ...). */
    static Path onnxTests() {
        return resolve(System.getProperty("kiln.onnx.tests.dir"), "../shared/onnx-tests");
    }

    /** The whole-model fixtures built by {@code shared/models/fetch}. */
    public static Path models() {
        String env = System.getenv("KILN_MODELS_DIR");
        String prop = System.getProperty("kiln.models.dir");
        return resolve(prop != null && !prop.isBlank() && !prop.startsWith("${") ? prop : env, "../shared/models");
    }

    /** The repository root (the parent of the tests module). */
    static Path repoRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("tests")) && Files.exists(here.resolve("pom.xml")) ? here : here.getParent();
    }

    private static Path resolve(String configured, String fallbackFromRepoParent) {
        if (configured != null && !configured.isBlank() && !configured.startsWith("${")) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        return repoRoot().resolve("..").resolve(fallbackFromRepoParent.substring(3)).toAbsolutePath().normalize();
    }

    /** A scratch folder under the module's target. */
    static Path work(String name) {
        return repoRoot().resolve("tests/target").resolve(name);
    }
}

package dev.kiln.tests.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Session;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the whole path of a model file: ModelProto bytes are written to a file of their own
 * folder, loaded ({@code Kiln.load}: mapping, protobuf, external data, import), compiled
 * (inference, folding, binding, memory plan) and, when the inputs are small, run on random
 * inputs. Seeds: {@code OnnxModelFuzzTestInputs/importCompileRun} (tiny models written by
 * OnnxWriter and a few ONNX node-test models).
 */
class OnnxModelFuzzTest {
    private static final FuzzSupport FUZZ = new FuzzSupport("onnx-model");
    private static Path folder;

    @BeforeAll
    static void folder() throws IOException {
        folder = Files.createTempDirectory("kiln-fuzz-model");
        // A file beside the model, so that external data can name something that exists.
        Files.write(folder.resolve("weights.bin"), new byte[64]);
    }

    @AfterAll
    static void report() throws IOException {
        FUZZ.report();
        Files.deleteIfExists(folder.resolve("model.onnx"));
        Files.deleteIfExists(folder.resolve("weights.bin"));
        Files.deleteIfExists(folder);
    }

    @FuzzTest(maxDuration = "20s")
    void importCompileRun(byte[] bytes) {
        Path file = folder.resolve("model.onnx");
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FUZZ.check(() -> {
            try (Model model = Kiln.load(file, FuzzSupport.LIMITS);
                 Session session = model.session(FuzzSupport.OPTIONS)) {
                Map<String, Tensor> in = FuzzSupport.inputs(session, Arrays.hashCode(bytes));
                if (in != null) {
                    session.run(in);
                }
            }
        });
    }
}

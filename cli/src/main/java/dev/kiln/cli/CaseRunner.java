package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.tensor.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs a model on a folder of {@code input_K.pb} files and writes {@code output_K.pb} files: the
 * ONNX test-data contract shared by {@code kiln run} and {@code kiln run-batch}.
 */
final class CaseRunner {
    private CaseRunner() {
    }

    static void run(Path model, Path inputDir, Path outputDir, Options options) throws IOException {
        try (Model m = Kiln.load(model); Session s = m.session(options)) {
            Map<String, Value> inputs = CaseInputs.read(s.inputs(), inputDir);
            Map<String, Value> outputs = s.runValues(inputs);
            Files.createDirectories(outputDir);
            int k = 0;
            for (Map.Entry<String, Value> e : outputs.entrySet()) {
                OnnxValues.write(outputDir.resolve("output_" + k++ + ".pb"), e.getKey(), e.getValue());
            }
        }
    }
}

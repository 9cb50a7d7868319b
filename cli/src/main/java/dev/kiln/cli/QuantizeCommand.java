package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.graph.Graph;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.quantize.DynamicQuantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln quantize IN OUT --mode dynamic [--exclude NODE|OP,...]}: an int8 copy of a float model (see {@link DynamicQuantizer}). */
@Command(name = "quantize", description = "Write an int8 quantized copy of a float model.")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The float .onnx model.")
    Path input;

    @Parameters(index = "1", description = "Where to write the quantized model.")
    Path output;

    @Option(names = "--mode", defaultValue = "dynamic",
            description = "dynamic (int8 weights, activations quantized at run time); static is not available yet.")
    String mode;

    @Option(names = "--exclude", split = ",", description = "Node names or operator types to leave in float.")
    java.util.List<String> exclude = java.util.List.of();

    @Override
    public Integer call() throws IOException {
        if (!mode.equals("dynamic")) {
            System.err.println("kiln: --mode " + mode + " is not supported (only dynamic)");
            return 2;
        }
        try (Model m = Kiln.load(input)) {
            Graph q = DynamicQuantizer.quantize(m.graph(), new java.util.HashSet<>(exclude));
            OnnxWriter.write(q, output);
        }
        long before = Files.size(input);
        long after = Files.size(output);
        System.out.printf(Locale.ROOT, "wrote %s: %.1f MB (%.0f%% of %.1f MB)%n", output, after / 1e6,
                100.0 * after / before, before / 1e6);
        return 0;
    }
}

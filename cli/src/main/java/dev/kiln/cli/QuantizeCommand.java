package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.graph.Graph;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.InvalidInputException;
import dev.kiln.Options;
import dev.kiln.quantize.Calibrator;
import dev.kiln.quantize.DynamicQuantizer;
import dev.kiln.quantize.StaticQuantizer;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln quantize IN OUT --mode dynamic|static [--calibration DIR] [--method minmax|percentile]
 * [--exclude NODE|OP,...]}: an int8 copy of a float model (see {@link DynamicQuantizer} and
 * {@link StaticQuantizer}).
 */
@Command(name = "quantize", description = "Write an int8 quantized copy of a float model.")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The float .onnx model.")
    Path input;

    @Parameters(index = "1", description = "Where to write the quantized model.")
    Path output;

    @Option(names = "--mode", defaultValue = "dynamic",
            description = "dynamic (int8 weights, activations quantized at run time) or static (QDQ: int8 weights, "
                    + "activation ranges calibrated on --calibration). Default: dynamic.")
    String mode;

    @Option(names = "--calibration", description = "For static: a folder of sample inputs in the ONNX test-data layout "
            + "(input_K.pb files, or test_data_set_N folders of them).")
    Path calibration;

    @Option(names = "--method", defaultValue = "minmax",
            description = "For static: how activation ranges are chosen: minmax or percentile. Default: minmax.")
    String method;

    @Option(names = "--threads", defaultValue = "0", description = "Threads for the calibration runs (default: the session default).")
    int threads;

    @Option(names = "--exclude", split = ",", description = "Node names or operator types to leave in float.")
    List<String> exclude = List.of();

    @Override
    public Integer call() throws IOException {
        Set<String> excluded = new HashSet<>(exclude);
        try (Model m = Kiln.load(input)) {
            Graph q;
            switch (mode) {
                case "dynamic" -> q = DynamicQuantizer.quantize(m.graph(), excluded);
                case "static" -> {
                    Calibrator.Method how = switch (method) {
                        case "minmax" -> Calibrator.Method.MINMAX;
                        case "percentile" -> Calibrator.Method.PERCENTILE;
                        default -> throw new InvalidInputException("--method " + method
                                + " is not supported (minmax or percentile)");
                    };
                    if (calibration == null) {
                        throw new InvalidInputException("--mode static needs --calibration DIR (sample inputs)");
                    }
                    List<Map<String, Tensor>> samples = samples(m, calibration);
                    Set<String> tensors = StaticQuantizer.activations(m.graph(), excluded);
                    int runs = samples.size() * (how == Calibrator.Method.PERCENTILE ? 2 : 1);
                    System.err.printf(Locale.ROOT, "calibrating %d activations on %d samples (%s)%n", tensors.size(),
                            samples.size(), method);
                    Map<String, Calibrator.Range> ranges = Calibrator.calibrate(m.graph(), tensors, samples, how,
                            threads > 0 ? Options.defaults().threads(threads) : Options.defaults(),
                            done -> System.err.printf(Locale.ROOT, "  run %d of %d%n", done, runs));
                    q = StaticQuantizer.quantize(m.graph(), ranges, excluded);
                }
                default -> throw new InvalidInputException("--mode " + mode + " is not supported (dynamic or static)");
            }
            OnnxWriter.write(q, output);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage());
        }
        long before = Files.size(input);
        long after = Files.size(output);
        System.out.printf(Locale.ROOT, "wrote %s: %.1f MB (%.0f%% of %.1f MB)%n", output, after / 1e6,
                100.0 * after / before, before / 1e6);
        return 0;
    }

    /** The sample inputs of DIR: its input_K.pb files, or those of each test_data_set_N folder in it. */
    private static List<Map<String, Tensor>> samples(Model m, Path dir) throws IOException {
        List<Path> sets = new ArrayList<>();
        if (Files.exists(dir.resolve("input_0.pb"))) {
            sets.add(dir);
        } else if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> Files.exists(p.resolve("input_0.pb"))).sorted().forEach(sets::add);
            }
        }
        if (sets.isEmpty()) {
            throw new InvalidInputException("no sample inputs in " + dir
                    + " (expected input_0.pb, or test_data_set_N folders holding it)");
        }
        List<Map<String, Tensor>> samples = new ArrayList<>();
        for (Path set : sets) {
            Map<String, Tensor> sample = new LinkedHashMap<>();
            for (Map.Entry<String, Value> e : CaseInputs.read(m.inputs(), set).entrySet()) {
                if (!(e.getValue() instanceof Tensor t)) {
                    throw new InvalidInputException(set + ": input '" + e.getKey() + "' is not a tensor");
                }
                sample.put(e.getKey(), t);
            }
            samples.add(sample);
        }
        return samples;
    }
}

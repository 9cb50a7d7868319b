package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Session;
import dev.kiln.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln bench MODEL}: warms up, then runs the model repeatedly for a fixed time and prints
 * latency percentiles and throughput.
 */
@Command(name = "bench", description = "Measure a model's latency (p10/p50/p90) and throughput.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .onnx model.")
    Path model;

    @Option(names = "--input-dir", description = "Folder of input_K.pb files (default: inputs made from the declared types).")
    Path inputDir;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch", defaultValue = "1", description = "Repeat the inputs along the first axis (default 1).")
    int batch;

    @Option(names = "--seconds", defaultValue = "10", description = "Measuring time after warm-up (default 10).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "3", description = "Warm-up time in seconds (default 3).")
    double warmup;

    @Option(names = "--backend", description = "Backends to use, in order (e.g. cpu-ref).", split = ",")
    String[] backends;

    @Option(names = "--passes", description = "Optimization passes: all (default) or none.", split = ",")
    String[] passes;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--batch must be at least 1");
        }
        long t0 = System.nanoTime();
        try (Model m = Kiln.load(model); Session s = m.session(RunCommand.options(threads, backends, passes))) {
            Map<String, Tensor> inputs = BenchInputs.prepare(s.inputs(), inputDir, batch);
            long t1 = System.nanoTime();
            s.run(inputs);
            long t2 = System.nanoTime();
            System.out.printf(java.util.Locale.ROOT, "%s  threads %s  batch %d%n", model.getFileName(),
                    threads == null ? "all" : threads, batch);
            System.out.printf(java.util.Locale.ROOT, "load+compile %.1f ms  first run %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
            runFor(s, inputs, warmup, null);
            Latencies lat = new Latencies();
            runFor(s, inputs, seconds, lat);
            System.out.println(lat.summary(batch));
        }
        return 0;
    }

    /** Runs for {@code secs} seconds (at least one run), recording latencies when asked. */
    private static void runFor(Session s, Map<String, Tensor> inputs, double secs, Latencies lat) {
        long end = System.nanoTime() + (long) (secs * 1e9);
        do {
            long a = System.nanoTime();
            s.run(inputs);
            long b = System.nanoTime();
            if (lat != null) {
                lat.add(b - a);
            }
        } while (System.nanoTime() < end);
    }
}

package dev.kiln.cli;

import dev.kiln.Options;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln run MODEL --input-dir DIR --output-dir OUT}. */
@Command(name = "run", description = "Run a model on input_K.pb files and write output_K.pb files.")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .onnx model.")
    Path model;

    @Option(names = "--input-dir", required = true, description = "Folder of input_0.pb, input_1.pb, ...")
    Path inputDir;

    @Option(names = "--output-dir", required = true, description = "Folder to write output_0.pb, ... into.")
    Path outputDir;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--backend", description = "Backends to use, in order (e.g. cpu-ref).", split = ",")
    String[] backends;

    @Option(names = "--passes", description = "Optimization passes: all (default), none, or names (-name removes one; see docs/optimizer.md).", split = ",")
    String[] passes;

    @Option(names = "--device", description = "cpu (default), cuda or metal: the GPU, with operators it lacks on the CPU; "
            + "fails when no GPU can be used.")
    String device;

    @Option(names = "--stats", description = "Print to standard error the time from process start to the written outputs "
            + "and the peak resident memory.")
    boolean stats;

    @Override
    public Integer call() throws Exception {
        CaseRunner.run(model, inputDir, outputDir, Devices.apply(options(threads, backends, passes), device));
        if (stats) {
            System.err.println(ProcessStats.line());
        }
        return 0;
    }

    static Options options(Integer threads, String[] backends, String[] passes) {
        Options o = Options.defaults();
        if (threads != null) {
            o = o.threads(threads);
        }
        if (backends != null) {
            o = o.backends(backends);
        }
        if (passes != null) {
            o = o.passes(passes);
        }
        return o;
    }
}

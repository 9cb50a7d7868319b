package dev.kiln.cli;

import dev.kiln.KilnException;
import dev.kiln.Options;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln run-batch FILE}: runs many cases in one JVM. Each case runs on its own thread with a
 * time limit, so a failing, crashing or hanging model is reported and the batch goes on.
 */
@Command(name = "run-batch", description = "Run MODEL<TAB>INPUT_DIR<TAB>OUTPUT_DIR lines; print ok/FAIL per line.")
final class RunBatchCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The batch file.")
    Path file;

    @Option(names = "--threads", description = "Worker threads per model (default: all cores).")
    Integer threads;

    @Option(names = "--backend", description = "Backends to use, in order.", split = ",")
    String[] backends;

    @Option(names = "--passes", description = "Optimization passes: all (default), none, or names (-name removes one; see docs/optimizer.md).", split = ",")
    String[] passes;

    @Option(names = "--timeout", description = "Seconds allowed per case (default ${DEFAULT-VALUE}).", defaultValue = "300")
    long timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Options options = RunCommand.options(threads, backends, passes);
        PrintStream out = System.out;
        int failed = 0;
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kiln-batch-case");
            t.setDaemon(true);
            return t;
        });
        try {
            for (String line : lines) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                if (f.length != 3) {
                    out.println("FAIL " + line.trim() + ": expected MODEL<TAB>INPUT_DIR<TAB>OUTPUT_DIR");
                    failed++;
                    continue;
                }
                Path model = Path.of(f[0]);
                String name = caseName(model);
                String error = runOne(pool, model, Path.of(f[1]), Path.of(f[2]), options);
                if (error == null) {
                    out.println("ok " + name);
                } else {
                    out.println("FAIL " + name + ": " + error);
                    failed++;
                }
                out.flush();
            }
        } finally {
            pool.shutdownNow();
        }
        return failed == 0 ? 0 : 1;
    }

    private String runOne(ExecutorService pool, Path model, Path in, Path outDir, Options options) {
        Future<?> f = pool.submit(() -> {
            CaseRunner.run(model, in, outDir, options);
            return null;
        });
        try {
            f.get(timeoutSeconds, TimeUnit.SECONDS);
            return null;
        } catch (TimeoutException e) {
            f.cancel(true);
            return "timed out after " + timeoutSeconds + " s";
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof KilnException k) {
                return oneLine(k.getMessage());
            }
            return oneLine(c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    /** A case is named by its folder when the model is the usual model.onnx, else by its file. */
    static String caseName(Path model) {
        Path fn = model.getFileName();
        if (fn != null && fn.toString().equals("model.onnx") && model.toAbsolutePath().getParent() != null) {
            return model.toAbsolutePath().getParent().getFileName().toString();
        }
        return fn == null ? model.toString() : fn.toString();
    }
}

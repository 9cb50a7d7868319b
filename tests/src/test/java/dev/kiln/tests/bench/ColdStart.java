package dev.kiln.tests.bench;

import dev.kiln.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The child JVM of a cold-start measurement: loads one model with one engine, runs it once and
 * prints {@code first-output} (the parent times the process from its start to that line), runs
 * it a few more times, then prints the peak resident set size ({@code VmHWM}).
 * {@code ColdStart kiln|ort FIXTURES WORK_DIR CASE_INDEX THREADS}.
 */
public final class ColdStart {
    private ColdStart() {
    }

    public static void main(String[] args) throws Exception {
        String engine = args[0];
        BenchModels.Case c = BenchModels.caseAt(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
        int threads = Integer.parseInt(args[4]);
        Map<String, Tensor> inputs = c.inputs();
        try (Engine e = engine.equals("kiln") ? Engine.kiln(c.model(), inputs, threads) : Engine.ort(c.model(), inputs, threads)) {
            e.run();
            System.out.println("first-output");
            System.out.flush();
            for (int i = 0; i < 5; i++) {
                e.run();
            }
        }
        System.out.println("peak-rss-kb " + peakRssKb());
    }

    /** VmHWM from /proc/self/status, or -1 where there is none. */
    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

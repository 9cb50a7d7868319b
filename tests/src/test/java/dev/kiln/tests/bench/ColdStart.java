package dev.kiln.tests.bench;

import dev.kiln.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The ONNX Runtime child of a cold-start measurement: loads one model, runs it once and prints
 * {@code stats: process-ms N peak-rss-kb M} (the line {@code kiln run --stats} prints; the parent
 * times the process from its start to that line). {@code ColdStart FIXTURES WORK_DIR CASE_INDEX THREADS}.
 */
public final class ColdStart {
    private ColdStart() {
    }

    public static void main(String[] args) throws Exception {
        BenchModels.Case c = BenchModels.caseAt(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]));
        int threads = Integer.parseInt(args[3]);
        Map<String, Tensor> inputs = c.inputs();
        try (Engine e = Engine.ort(c.model(), inputs, threads)) {
            e.run();
            long ms = ProcessHandle.current().info().startInstant()
                    .map(s -> java.time.Duration.between(s, java.time.Instant.now()).toMillis()).orElse(-1L);
            System.out.println("stats: process-ms " + ms + " peak-rss-kb " + peakRssKb());
            System.out.flush();
        }
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

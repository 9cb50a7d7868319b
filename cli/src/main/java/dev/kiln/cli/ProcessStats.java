package dev.kiln.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * What a one-shot command cost this process: the time since the process started (the launcher
 * script's start, since it execs the JVM) and the peak resident set size. The cold-start
 * benchmark reads this line.
 */
final class ProcessStats {
    private ProcessStats() {
    }

    /** {@code kiln: stats: process-ms N peak-rss-kb M}, with -1 for what this platform does not tell. */
    static String line() {
        long ms = ProcessHandle.current().info().startInstant()
                .map(start -> Duration.between(start, Instant.now()).toMillis()).orElse(-1L);
        return String.format(Locale.ROOT, "kiln: stats: process-ms %d peak-rss-kb %d", ms, peakRssKb());
    }

    /** VmHWM from /proc/self/status (Linux), else -1. */
    static long peakRssKb() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}

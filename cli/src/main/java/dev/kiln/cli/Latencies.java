package dev.kiln.cli;

import java.util.Arrays;

/** Latencies of repeated runs, in nanoseconds, and their percentiles. */
public final class Latencies {
    private long[] nanos = new long[64];
    private int count;

    /** Records one run. */
    public void add(long ns) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = ns;
    }

    /** Runs recorded. */
    public int count() {
        return count;
    }

    /** The {@code p}-th percentile (0..100, nearest rank) in milliseconds. */
    public double percentileMillis(double p) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count) - 1;
        return sorted[Math.max(0, Math.min(count - 1, rank))] / 1e6;
    }

    /** Mean latency in milliseconds. */
    public double meanMillis() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += nanos[i];
        }
        return count == 0 ? Double.NaN : sum / 1e6 / count;
    }

    /** One line: runs, p10/p50/p90 and throughput for {@code batch} items per run. */
    public String summary(int batch) {
        return String.format(java.util.Locale.ROOT, "runs %d  p10 %.3f ms  p50 %.3f ms  p90 %.3f ms  throughput %.1f items/s",
                count, percentileMillis(10), percentileMillis(50), percentileMillis(90), batch * 1000.0 / meanMillis());
    }
}

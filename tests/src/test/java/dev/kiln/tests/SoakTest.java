package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.exec.PlanSession;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * Many runs of one session with native memory tracking: after warm-up, the off-heap memory the
 * JVM has committed (NMT's "Other" category, where memory segments are counted) and the bytes
 * the session holds in its budget stay flat. Runs: {@code kiln.soak.runs} (a short variant in CI;
 * 10,000 with {@code -Pstress}). Needs {@code -XX:NativeMemoryTracking=summary}, which the build
 * gives the test JVM. The figures go to {@code tests/target/robustness/soak.txt}.
 */
class SoakTest {
    private static final int RUNS = Integer.getInteger("kiln.soak.runs", 60);
    private static final int SAMPLES = 10;
    /** Allowed growth of committed off-heap memory after warm-up: less than one MiniLM output. */
    private static final long SLACK_KB = 64;
    private static final Pattern OTHER = Pattern.compile("- +Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");

    @Test
    void offHeapMemoryStaysFlat() throws Exception {
        Workloads.Workload w = Workloads.minilm(8);
        int warmup = Math.max(w.inputs().size(), RUNS / 10);
        try (Model model = w.load(); PlanSession session = (PlanSession) model.session(Options.defaults())) {
            for (int r = 0; r < warmup; r++) {
                session.run(w.inputs().get(r % w.inputs().size()));
            }
            long heldAfterWarmup = session.memoryHeld();
            long[] base = otherKb();
            List<long[]> samples = new ArrayList<>();
            long maxHeld = heldAfterWarmup;
            int every = Math.max(1, (RUNS - warmup) / SAMPLES);
            for (int r = warmup; r < RUNS; r++) {
                session.run(w.inputs().get(r % w.inputs().size()));
                maxHeld = Math.max(maxHeld, session.memoryHeld());
                if ((r - warmup + 1) % every == 0) {
                    samples.add(otherKb());
                }
            }
            long maxReserved = base[0];
            long maxCommitted = base[1];
            StringBuilder trace = new StringBuilder();
            for (long[] s : samples) {
                maxReserved = Math.max(maxReserved, s[0]);
                maxCommitted = Math.max(maxCommitted, s[1]);
                trace.append(' ').append(s[1]);
            }
            Workloads.report("soak", String.format("soak %s: %d runs (%d warm-up); NMT Other after warm-up: "
                    + "reserved %d KB, committed %d KB; largest later: reserved %d KB, committed %d KB "
                    + "(growth %d KB); committed KB at %d samples:%s; session budget held %d bytes after warm-up, "
                    + "at most %d later", w.name(), RUNS, warmup, base[0], base[1], maxReserved, maxCommitted,
                    maxCommitted - base[1], samples.size(), trace, heldAfterWarmup, maxHeld));
            assertEquals(heldAfterWarmup, maxHeld, "the session's buffers grew after warm-up");
            assertTrue(maxReserved - base[0] <= SLACK_KB, "reserved off-heap memory grew by "
                    + (maxReserved - base[0]) + " KB after warm-up");
        }
    }

    /**
     * NMT's "Other" category, reserved and committed KB, after collections free dropped outputs:
     * the least of three readings, since the cleaner frees a collected segment a little later
     * (on a busy machine, later than one pause); memory that leaked shows in every reading.
     */
    private static long[] otherKb() throws Exception {
        long[] least = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
            long[] r = readOtherKb();
            if (least == null || r[0] < least[0]) {
                least = r;
            }
        }
        return least;
    }

    private static long[] readOtherKb() throws Exception {
        String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        Matcher m = OTHER.matcher(summary);
        if (!m.find()) {
            throw new AssertionError("native memory tracking is off (run with -XX:NativeMemoryTracking=summary): "
                    + summary.lines().findFirst().orElse(""));
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }
}

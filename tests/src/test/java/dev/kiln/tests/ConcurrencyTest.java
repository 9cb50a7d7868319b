package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * One session, eight threads, each running the model many times on different inputs: every
 * output must be bit-identical to what the same session computed for that input from one
 * thread. Runs per thread: {@code kiln.stress.runs} (a few in CI; 1,000 with {@code -Pstress}).
 * The figures go to {@code tests/target/robustness/concurrency-*.txt}.
 */
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final int RUNS = Integer.getInteger("kiln.stress.runs", 3);

    @Test
    void minilmFromEightThreadsMatchesOneThread() throws Exception {
        check(Workloads.minilm(16), RUNS);
    }

    @Test
    void squeezenetFromEightThreadsMatchesOneThread() throws Exception {
        check(Workloads.squeezenet(4), RUNS);
    }

    private static void check(Workloads.Workload w, int runsPerThread) throws Exception {
        try (Model model = w.load(); Session session = model.session(Options.defaults())) {
            List<List<byte[]>> expected = Workloads.reference(session, w);
            AtomicLong mismatches = new AtomicLong();
            AtomicLong runs = new AtomicLong();
            ExecutorService callers = Executors.newFixedThreadPool(THREADS);
            long start = System.nanoTime();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    done.add(callers.submit(() -> {
                        for (int r = 0; r < runsPerThread; r++) {
                            int i = (thread * 7 + r) % w.inputs().size();
                            List<byte[]> out = Workloads.bytes(session.run(w.inputs().get(i)));
                            runs.incrementAndGet();
                            if (!Workloads.identical(out, expected.get(i))) {
                                mismatches.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                callers.shutdown();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Workloads.report("concurrency-" + w.name(), String.format(
                    "concurrency %s: %d threads x %d runs = %d runs on one session in %.1f s (%.2f runs/s), "
                    + "%d inputs of %d, %d outputs differing from the one-thread result",
                    w.name(), THREADS, runsPerThread, runs.get(), seconds, runs.get() / seconds, w.inputs().size(),
                    w.inputs().size(), mismatches.get()));
            assertEquals((long) THREADS * runsPerThread, runs.get());
            assertEquals(0, mismatches.get(), "outputs differ from the one-thread result");
            assertTrue(session instanceof dev.kiln.exec.PlanSession p && p.memoryHeld() > 0);
        }
    }
}

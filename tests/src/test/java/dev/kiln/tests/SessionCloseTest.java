package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.exec.PlanSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Closing a session while runs are in flight: {@code close()} waits for them; each of them
 * returns its complete, correct result; every run that starts after {@code close()} fails
 * with IllegalStateException; the session's memory is all given back; closing again is harmless.
 */
class SessionCloseTest {
    @Test
    void closeWaitsForRunsInFlightAndLaterRunsFail() throws Exception {
        Workloads.Workload w = Workloads.minilm(4);
        Model model = w.load();
        PlanSession session = (PlanSession) model.session(Options.defaults().threads(1));
        List<List<byte[]>> expected = Workloads.reference(session, w);
        int threads = 4;
        ConcurrentLinkedQueue<Integer> finished = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        CountDownLatch running = new CountDownLatch(threads);
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> refused = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            refused.add(callers.submit(() -> {
                running.countDown();
                for (int r = 0; ; r++) {
                    int i = (thread + r) % w.inputs().size();
                    Map<String, dev.kiln.tensor.Tensor> out;
                    try {
                        out = session.run(w.inputs().get(i));
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("session of model") || !e.getMessage().contains("is closed")) {
                            // Memory freed under a run would show here ("Already closed").
                            unexpected.add(e);
                            return 0;
                        }
                        // Refused because the session is closed: every later call must be refused too.
                        assertThrows(IllegalStateException.class, () -> session.run(w.inputs().get(0)));
                        return 1;
                    } catch (Throwable e) {
                        unexpected.add(e);
                        return 0;
                    }
                    finished.add(1);
                    if (!Workloads.identical(Workloads.bytes(out), expected.get(i))) {
                        wrong.add("input " + i);
                    }
                }
            }));
        }
        running.await();
        // Let every caller get a run in flight, then close under them.
        while (finished.size() < threads) {
            Thread.sleep(5);
        }
        session.close();
        // close() returned: the runs in flight have finished and the memory is freed.
        assertEquals(0, session.memoryHeld(), "a closed session holds no memory");
        int refusals = 0;
        for (Future<Integer> f : refused) {
            refusals += f.get();
        }
        callers.shutdown();
        assertTrue(unexpected.isEmpty(), () -> "runs failed with " + unexpected);
        assertTrue(wrong.isEmpty(), () -> "runs in flight while closing returned wrong results: " + wrong);
        assertEquals(threads, refusals, "every caller is refused once the session is closed");
        session.close();
        model.close();
        assertThrows(IllegalStateException.class, () -> session.run(w.inputs().get(0)));
    }
}

package dev.kiln.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(3, "t")) {
            for (int n : new int[] {1, 2, 3, 7, 1000}) {
                long[] hits = new long[n];
                pool.forRange(n, 1, (s, e) -> {
                    for (long i = s; i < e; i++) {
                        hits[(int) i]++;
                    }
                });
                for (long h : hits) {
                    assertEquals(1, h);
                }
            }
        }
    }

    @Test
    void nestedCallsRunInline() {
        try (WorkerPool pool = new WorkerPool(2, "t")) {
            LongAdder sum = new LongAdder();
            pool.forRange(4, 1, (s, e) -> {
                for (long i = s; i < e; i++) {
                    pool.forRange(10, 1, (s2, e2) -> sum.add(e2 - s2));
                }
            });
            assertEquals(40, sum.sum());
        }
    }

    @Test
    void failuresReachTheCaller() {
        try (WorkerPool pool = new WorkerPool(2, "t")) {
            IllegalStateException boom = new IllegalStateException("boom");
            assertSame(boom, assertThrows(IllegalStateException.class, () -> pool.forRange(8, 1, (s, e) -> {
                throw boom;
            })));
            AtomicLong after = new AtomicLong();
            pool.forRange(8, 1, (s, e) -> after.addAndGet(e - s));
            assertEquals(8, after.get());
        }
    }

    @Test
    void concurrentCallersShareThePool() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try (WorkerPool pool = new WorkerPool(2, "t")) {
            Future<?>[] fs = new Future<?>[4];
            for (int c = 0; c < 4; c++) {
                fs[c] = callers.submit(() -> {
                    for (int r = 0; r < 2000; r++) {
                        LongAdder sum = new LongAdder();
                        pool.forRange(64, 1, (s, e) -> sum.add(e - s));
                        assertEquals(64, sum.sum());
                    }
                });
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            callers.shutdown();
        }
    }
}

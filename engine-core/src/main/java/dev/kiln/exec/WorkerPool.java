package dev.kiln.exec;

import dev.kiln.backend.Parallel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A session's worker threads. The calling thread always takes part, so a pool of {@code n}
 * threads starts {@code n - 1} workers. A worker that runs out of work spins for a short while
 * (inference issues parallel loops back to back, and waking a parked thread costs tens of
 * microseconds), then parks until work arrives; an idle session uses no CPU. A nested
 * {@link #forRange} from inside a chunk runs on the calling thread.
 */
final class WorkerPool implements Parallel, AutoCloseable {
    /** How long an idle worker keeps looking for work before it parks. */
    private static final long SPIN_NANOS = 50_000;
    private static final ThreadLocal<Boolean> IN_CHUNK = ThreadLocal.withInitial(() -> false);

    private final int threads;
    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Job> queue = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    WorkerPool(int threads, String name) {
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(name + "-" + (i + 1));
            workers[i].thread.start();
        }
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void forRange(long n, long grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        long g = Math.max(1, grain);
        long maxChunks = (n + g - 1) / g;
        int chunks = (int) Math.min(maxChunks, threads);
        if (chunks <= 1 || IN_CHUNK.get() || closed) {
            runChunk(task, 0, n);
            return;
        }
        Job job = new Job(task, n, chunks, Thread.currentThread());
        for (int i = 0; i < chunks - 1; i++) {
            queue.add(job);
        }
        for (Worker w : workers) {
            if (w.sleeping) {
                LockSupport.unpark(w.thread);
            }
        }
        job.help();
        job.await();
        Throwable t = job.failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    private static void runChunk(RangeTask task, long start, long end) {
        boolean outer = !IN_CHUNK.get();
        if (outer) {
            IN_CHUNK.set(true);
        }
        try {
            task.run(start, end);
        } finally {
            if (outer) {
                IN_CHUNK.set(false);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }

    /** A worker thread: takes jobs from the queue, spins briefly when there are none, then parks. */
    private final class Worker implements Runnable {
        final Thread thread;
        volatile boolean sleeping;

        Worker(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (!closed) {
                Job job = queue.poll();
                if (job != null) {
                    job.help();
                    continue;
                }
                long deadline = System.nanoTime() + SPIN_NANOS;
                while ((job = queue.peek()) == null && System.nanoTime() < deadline && !closed) {
                    Thread.onSpinWait();
                }
                if (job != null) {
                    continue;
                }
                sleeping = true;
                // Re-check after announcing sleep: a submitter that saw us awake did not unpark us.
                if (queue.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                sleeping = false;
            }
        }
    }

    /** One forRange call: chunks handed out through a counter, completion counted down. */
    private static final class Job {
        final RangeTask task;
        final long n;
        final int chunks;
        final Thread owner;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(RangeTask task, long n, int chunks, Thread owner) {
            this.task = task;
            this.n = n;
            this.chunks = chunks;
            this.owner = owner;
            this.remaining = new AtomicInteger(chunks);
        }

        void help() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                long start = n * c / chunks;
                long end = n * (c + 1) / chunks;
                try {
                    if (failure.get() == null) {
                        runChunk(task, start, end);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (remaining.decrementAndGet() == 0) {
                        LockSupport.unpark(owner);
                    }
                }
            }
        }

        void await() {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (remaining.get() > 0) {
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        }
    }
}

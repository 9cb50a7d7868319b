package dev.kiln.exec;

import dev.kiln.backend.Parallel;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A session's worker threads. The calling thread always takes part, so a pool of {@code n}
 * threads starts {@code n - 1} workers. A worker that runs out of work polls for 50 microseconds,
 * then blocks on a queue (idle workers do not spin); a nested
 * {@link #forRange} from inside a chunk runs on the calling thread.
 */
final class WorkerPool implements Parallel, AutoCloseable {
    private static final ThreadLocal<Boolean> IN_CHUNK = ThreadLocal.withInitial(() -> false);
    /** How long an idle worker polls for the next job before it blocks. */
    private static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Thread[] workers;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    WorkerPool(int threads, String name) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::work, name + "-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
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

    private void work() {
        while (!closed) {
            try {
                Job job = queue.poll();
                if (job == null) {
                    // Kernels call forRange in quick succession and waking a parked thread takes tens of
                    // microseconds, about the length of a small kernel: poll briefly before blocking.
                    long until = System.nanoTime() + SPIN_NANOS;
                    while ((job = queue.poll()) == null && System.nanoTime() < until && !closed) {
                        Thread.onSpinWait();
                    }
                }
                (job != null ? job : queue.take()).help();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            t.interrupt();
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
            int spins = 0;
            while (remaining.get() > 0) {
                if (spins++ < 2000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
        }
    }
}

package dev.kiln.backend;

/**
 * The session's worker pool as kernels see it: split a range of work across threads. Calls may
 * nest (a nested call runs on the calling thread).
 */
public interface Parallel {
    /** Number of threads that work on a range, the caller included. */
    int threads();

    /**
     * Runs {@code task} over {@code [0, n)} split into chunks of at least {@code grain} items,
     * and returns when all chunks are done. Exceptions in a chunk propagate to the caller.
     */
    void forRange(long n, long grain, RangeTask task);

    /** A chunk of work over {@code [start, end)}. */
    @FunctionalInterface
    interface RangeTask {
        void run(long start, long end);
    }

    /** Runs everything on the calling thread. */
    Parallel SERIAL = new Parallel() {
        @Override
        public int threads() {
            return 1;
        }

        @Override
        public void forRange(long n, long grain, RangeTask task) {
            if (n > 0) {
                task.run(0, n);
            }
        }
    };
}

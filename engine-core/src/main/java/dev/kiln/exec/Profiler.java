package dev.kiln.exec;

import dev.kiln.compile.Step;

/**
 * Receives the wall time of every step a session runs, subgraph steps included (for a step on
 * a device, the time to enqueue it; transfers are not reported). Set with
 * {@link dev.kiln.Options#profiler}; without one the executor takes no timestamps at all.
 * Called from the thread that runs the session, possibly from several runs at once, so an
 * implementation shared by concurrent runs must be thread-safe.
 */
@FunctionalInterface
public interface Profiler {
    /**
     * @param step the step that ran (its node, kernel and backend)
     * @param depth 0 for the main graph, more inside subgraphs
     * @param nanos the step's wall time
     */
    void step(Step step, int depth, long nanos);
}

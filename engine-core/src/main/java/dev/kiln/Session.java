package dev.kiln;

import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.List;
import java.util.Map;

/**
 * A compiled model ready to run.
 *
 * <p><b>Threads.</b> A session is thread-safe: any number of threads may call {@link #run} at
 * once, each with its own inputs. Each run gets a run state of its own (pooled, so a warmed-up
 * session allocates nothing), and a run's outputs are its own memory, which the caller keeps.
 * Outputs do not depend on how many threads call the session; with the reference kernels they
 * do not depend on {@link Options#threads} either (see {@code docs/robustness.md}).
 *
 * <p><b>Memory.</b> Everything a session holds counts against {@link Options#memoryBudget}
 * (summed over the runs in flight), checked before each allocation; a run that would exceed it
 * fails with {@link ResourceLimitException} naming the node and the tensor, and the session
 * stays usable.
 *
 * <p><b>Closing.</b> {@link #close()} waits for the runs in flight to finish (they return their
 * results normally), then frees the session's memory; a run that starts after {@code close()}
 * began fails with {@link IllegalStateException}, and so does every later one. Closing twice is
 * harmless. Do not call {@code close()} from inside a run (there is no such callback today).
 */
public interface Session extends AutoCloseable {
    /** The inputs a caller supplies, in graph order. */
    List<ValueInfo> inputs();

    /** The outputs, in graph order. */
    List<ValueInfo> outputs();

    /**
     * Runs the model on tensor inputs and returns tensor outputs by name, in graph order.
     *
     * @throws InvalidInputException when an input is missing, unknown, or of the wrong type or shape
     * @throws ResourceLimitException when the run would exceed the memory budget
     * @throws IllegalStateException when the session is closed
     */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    /**
     * Runs the model on any values (tensors, sequences, optionals, maps) and returns every output.
     */
    Map<String, Value> runValues(Map<String, ? extends Value> inputs);

    @Override
    void close();
}

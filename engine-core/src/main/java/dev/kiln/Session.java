package dev.kiln;

import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.util.List;
import java.util.Map;

/**
 * A compiled model ready to run. Thread-safe: many threads may call {@link #run} at once.
 *
 * <p>Closing waits for runs in flight to finish, then frees the session's memory; a run started
 * after {@link #close()} fails with {@link IllegalStateException}. Closing twice is harmless.
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
     */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    /**
     * Runs the model on any values (tensors, sequences, optionals, maps) and returns every output.
     */
    Map<String, Value> runValues(Map<String, ? extends Value> inputs);

    @Override
    void close();
}

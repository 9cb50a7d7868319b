package dev.kiln.backend;

import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** What a kernel sees while it runs: its inputs, a way to allocate its outputs, and the worker pool. */
public interface KernelContext {
    /** The node being run. */
    Node node();

    /** Number of inputs, absent optional ones included. */
    int inputCount();

    /** True when input {@code i} is present. */
    boolean hasInput(int i);

    /** Input {@code i}, or {@code null} when absent. */
    Value input(int i);

    /**
     * Input {@code i} as a tensor, or {@code null} when absent.
     *
     * @throws dev.kiln.InvalidInputException when the input is not a tensor
     */
    Tensor tensor(int i);

    /** Number of outputs the node declares. */
    int outputCount();

    /** True when output {@code i} has a name (an empty name marks an unused optional output). */
    boolean hasOutput(int i);

    /**
     * Allocates output {@code i}. The memory is zero-filled only when it is new; kernels must
     * write every element.
     */
    Tensor allocate(int i, DType dtype, Shape shape);

    /**
     * Sets output {@code i} to a value the kernel made (a view declared by {@link Kernel#viewOf},
     * a sequence, an optional, or the result of a subgraph). Tensors put into sequences or
     * optionals must be {@linkplain #retain retained}.
     */
    void set(int i, Value value);

    /**
     * A tensor with the same contents whose memory outlives this run step: for values stored in
     * sequences, optionals and loop state.
     */
    Tensor retain(Tensor t);

    /**
     * Checks that {@code bytes} of memory the kernel holds outside {@link #allocate} (values it
     * accumulates across iterations, such as Loop's scan outputs) fit in what is left of the
     * session's memory budget. Reserves nothing.
     *
     * @param what what the memory is for, for the message
     * @throws dev.kiln.ResourceLimitException when they do not fit
     */
    void checkMemory(long bytes, String what);

    /** Scratch memory valid until this kernel returns, 64-byte aligned, not zeroed. */
    MemorySegment scratch(long bytes);

    /** The session's worker pool. */
    Parallel parallel();

    /** Runs a compiled subgraph with the given inputs; returns its outputs (retained). */
    List<Value> run(Subgraph subgraph, List<Value> inputs);

    /**
     * The device addresses and queue of a step bound to a device backend.
     *
     * @throws UnsupportedOperationException for a step that runs on the host
     */
    default DeviceStep device() {
        throw new UnsupportedOperationException("node " + node().describe() + " does not run on a device");
    }
}

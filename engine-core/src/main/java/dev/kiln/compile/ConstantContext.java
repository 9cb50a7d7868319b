package dev.kiln.compile;

import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Parallel;
import dev.kiln.backend.Subgraph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Runs one kernel at compile time on constant inputs, for constant folding. Outputs larger than
 * a limit abandon the evaluation, so a hostile shape cannot make compilation allocate.
 */
final class ConstantContext implements KernelContext {
    /** Thrown to abandon an evaluation whose output would be too large. */
    static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    private final Node node;
    private final Tensor[] inputs;
    private final Value[] outputs;
    private final long maxElements;

    ConstantContext(Node node, Tensor[] inputs, long maxElements) {
        this.node = node;
        this.inputs = inputs;
        this.outputs = new Value[node.outputs().size()];
        this.maxElements = maxElements;
    }

    Value[] outputs() {
        return outputs;
    }

    @Override
    public Node node() {
        return node;
    }

    @Override
    public int inputCount() {
        return inputs.length;
    }

    @Override
    public boolean hasInput(int i) {
        return i < inputs.length && inputs[i] != null;
    }

    @Override
    public Value input(int i) {
        return hasInput(i) ? inputs[i] : null;
    }

    @Override
    public Tensor tensor(int i) {
        return hasInput(i) ? inputs[i] : null;
    }

    @Override
    public int outputCount() {
        return outputs.length;
    }

    @Override
    public boolean hasOutput(int i) {
        return i < outputs.length && !node.outputs().get(i).isEmpty();
    }

    @Override
    public Tensor allocate(int i, DType dtype, Shape shape) {
        if (shape.size() > maxElements) {
            throw new TooLarge();
        }
        Tensor t = Tensor.allocate(dtype, shape);
        outputs[i] = t;
        return t;
    }

    @Override
    public void set(int i, Value value) {
        outputs[i] = value instanceof Tensor t ? t.copy() : value;
    }

    @Override
    public Tensor retain(Tensor t) {
        return t.copy();
    }

    @Override
    public void checkMemory(long bytes, String what) {
        if (bytes < 0 || bytes > maxElements * 8) {
            throw new TooLarge();
        }
    }

    @Override
    public MemorySegment scratch(long bytes) {
        if (bytes > maxElements * 8) {
            throw new TooLarge();
        }
        return Arena.ofAuto().allocate(Math.max(bytes, 1), 64);
    }

    @Override
    public Parallel parallel() {
        return Parallel.SERIAL;
    }

    @Override
    public List<Value> run(Subgraph subgraph, List<Value> in) {
        throw new UnsupportedOperationException("subgraphs are not evaluated at compile time");
    }
}

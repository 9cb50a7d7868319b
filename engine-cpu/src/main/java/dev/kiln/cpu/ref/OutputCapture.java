package dev.kiln.cpu.ref;

import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Parallel;
import dev.kiln.backend.Subgraph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A kernel context that passes everything through and remembers output 0, so a fused kernel can
 * run an unfused reference kernel and then finish its result.
 */
public final class OutputCapture implements KernelContext {
    private final KernelContext k;
    private final Tensor[] out;

    /**
     * @param k the context to pass through
     * @param out receives output 0 when the kernel allocates or sets it
     */
    public OutputCapture(KernelContext k, Tensor[] out) {
        this.k = k;
        this.out = out;
    }

    @Override
    public Node node() {
        return k.node();
    }

    @Override
    public int inputCount() {
        return k.inputCount();
    }

    @Override
    public boolean hasInput(int i) {
        return k.hasInput(i);
    }

    @Override
    public Value input(int i) {
        return k.input(i);
    }

    @Override
    public Tensor tensor(int i) {
        return k.tensor(i);
    }

    @Override
    public int outputCount() {
        return k.outputCount();
    }

    @Override
    public boolean hasOutput(int i) {
        return k.hasOutput(i);
    }

    @Override
    public Tensor allocate(int i, DType dtype, Shape shape) {
        Tensor t = k.allocate(i, dtype, shape);
        if (i == 0) {
            out[0] = t;
        }
        return t;
    }

    @Override
    public void set(int i, Value value) {
        k.set(i, value);
        if (i == 0 && value instanceof Tensor t) {
            out[0] = t;
        }
    }

    @Override
    public Tensor retain(Tensor t) {
        return k.retain(t);
    }

    @Override
    public void checkMemory(long bytes, String what) {
        k.checkMemory(bytes, what);
    }

    @Override
    public MemorySegment scratch(long bytes) {
        return k.scratch(bytes);
    }

    @Override
    public Parallel parallel() {
        return k.parallel();
    }

    @Override
    public List<Value> run(Subgraph subgraph, List<Value> inputs) {
        return k.run(subgraph, inputs);
    }
}

package dev.kiln.exec;

import dev.kiln.InvalidInputException;
import dev.kiln.KilnException;
import dev.kiln.ResourceLimitException;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Parallel;
import dev.kiln.backend.Subgraph;
import dev.kiln.compile.Plan;
import dev.kiln.compile.Step;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks a plan's steps. Pooled buffers are taken as kernels allocate and given back after the
 * step the plan marks as their last use; graph outputs live in memory the caller keeps.
 */
final class Executor {
    private static final int MAX_DEPTH = 64;

    private final Parallel parallel;
    /** Null when profiling is off: the step loop then takes no timestamps. */
    private final Profiler profiler;

    Executor(Parallel parallel, Profiler profiler) {
        this.parallel = parallel;
        this.profiler = profiler;
    }

    /** Runs a plan; {@code inputs} are by position, {@code null} for an input left to its default. */
    List<Value> run(Plan plan, Value[] inputs, Frame parent, RunState state, int depth) {
        if (depth > MAX_DEPTH) {
            throw new ResourceLimitException("subgraphs nest deeper than " + MAX_DEPTH + " levels at run time");
        }
        Frame frame = new Frame(plan, parent);
        for (int id = 0; id < plan.valueCount(); id++) {
            Tensor c = plan.constant(id);
            if (c != null) {
                frame.values[id] = c;
            }
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null) {
                frame.values[plan.inputId(i)] = inputs[i];
            }
        }
        for (int id : plan.outerIds()) {
            if (parent == null || (frame.values[id] = parent.lookup(plan.name(id))) == null) {
                throw new InvalidInputException("value '" + plan.name(id) + "' from an enclosing graph is not available")
                        .forTensor(plan.name(id));
            }
        }
        StepContext ctx = new StepContext(frame, state, depth);
        try {
            for (Step step : plan.steps()) {
                ctx.step = step;
                if (profiler == null) {
                    runStep(ctx, step);
                } else {
                    long t0 = System.nanoTime();
                    runStep(ctx, step);
                    profiler.step(step, depth, System.nanoTime() - t0);
                }
                for (int r : step.release()) {
                    MemorySegment b = frame.buffers[r];
                    if (b != null) {
                        state.buffers.release(b);
                        frame.buffers[r] = null;
                    }
                }
            }
            List<Value> out = new ArrayList<>(plan.outputs().size());
            for (int i = 0; i < plan.outputs().size(); i++) {
                Value v = frame.values[plan.outputId(i)];
                if (v == null) {
                    throw new InvalidInputException("output '" + plan.outputs().get(i).name() + "' was not computed")
                            .forTensor(plan.outputs().get(i).name());
                }
                out.add(plan.copyOnReturn(i) && v instanceof Tensor t ? t.copy() : v);
            }
            return out;
        } finally {
            for (int id = 0; id < frame.buffers.length; id++) {
                if (frame.buffers[id] != null) {
                    state.buffers.release(frame.buffers[id]);
                    frame.buffers[id] = null;
                }
            }
        }
    }

    private void runStep(StepContext ctx, Step step) {
        Node node = step.node();
        try {
            step.kernel().run(ctx);
        } catch (KilnException e) {
            throw e.atNode(node.describe());
        } catch (OutOfMemoryError e) {
            throw new ResourceLimitException("out of memory: " + e.getMessage(), e).atNode(node.describe());
        } catch (StackOverflowError e) {
            throw new ResourceLimitException("stack overflow", e).atNode(node.describe());
        } catch (RuntimeException e) {
            throw new InvalidInputException(e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e).atNode(node.describe());
        } finally {
            ctx.releaseScratch();
        }
        int[] outs = step.outputs();
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] >= 0 && ctx.frame.values[outs[i]] == null) {
                throw new InvalidInputException("kernel produced no value for output " + i)
                        .atNode(node.describe()).forTensor(ctx.frame.plan.name(outs[i]));
            }
        }
    }

    /** The kernel's view of the current step; one per frame, re-pointed at each step. */
    private final class StepContext implements KernelContext {
        final Frame frame;
        final RunState state;
        final int depth;
        Step step;
        private final List<MemorySegment> scratch = new ArrayList<>();

        StepContext(Frame frame, RunState state, int depth) {
            this.frame = frame;
            this.state = state;
            this.depth = depth;
        }

        @Override
        public Node node() {
            return step.node();
        }

        @Override
        public int inputCount() {
            return step.inputs().length;
        }

        @Override
        public boolean hasInput(int i) {
            return i < step.inputs().length && step.inputs()[i] >= 0;
        }

        @Override
        public Value input(int i) {
            return hasInput(i) ? frame.values[step.inputs()[i]] : null;
        }

        @Override
        public Tensor tensor(int i) {
            Value v = input(i);
            if (v == null || v instanceof Tensor) {
                return (Tensor) v;
            }
            throw new InvalidInputException("input " + i + " must be a tensor, got " + v.type())
                    .forTensor(frame.plan.name(step.inputs()[i]));
        }

        @Override
        public int outputCount() {
            return step.outputs().length;
        }

        @Override
        public boolean hasOutput(int i) {
            return i < step.outputs().length && step.outputs()[i] >= 0;
        }

        @Override
        public Tensor allocate(int i, DType dtype, Shape shape) {
            int id = step.outputs()[i];
            Tensor t;
            if (id < 0) {
                t = Tensor.allocate(dtype, shape);
            } else if (dtype == DType.STRING || frame.plan.owned(id)) {
                checkBudget(dtype.byteSize(shape.size()), id);
                t = Tensor.allocate(dtype, shape);
            } else {
                long bytes = dtype.byteSize(shape.size());
                MemorySegment seg = state.buffers.acquire(bytes, "'" + frame.plan.name(id) + "'");
                if (frame.buffers[id] != null) {
                    state.buffers.release(frame.buffers[id]);
                }
                frame.buffers[id] = seg;
                t = Tensor.wrap(dtype, shape, seg.asSlice(0, bytes));
            }
            if (id >= 0) {
                frame.values[id] = t;
            }
            return t;
        }

        private void checkBudget(long bytes, int id) {
            if (bytes > state.budget()) {
                throw new ResourceLimitException("allocating " + bytes + " bytes would exceed the session's memory budget of "
                        + state.budget() + " bytes").forTensor(frame.plan.name(id));
            }
        }

        @Override
        public void set(int i, Value value) {
            int id = step.outputs()[i];
            if (id >= 0) {
                frame.values[id] = value;
            }
        }

        @Override
        public Tensor retain(Tensor t) {
            return t.copy();
        }

        @Override
        public MemorySegment scratch(long bytes) {
            MemorySegment s = state.buffers.acquire(bytes, "scratch of " + step.node().describe());
            scratch.add(s);
            return s;
        }

        void releaseScratch() {
            for (MemorySegment s : scratch) {
                state.buffers.release(s);
            }
            scratch.clear();
        }

        @Override
        public Parallel parallel() {
            return parallel;
        }

        @Override
        public List<Value> run(Subgraph subgraph, List<Value> in) {
            Plan sub = (Plan) subgraph;
            if (in.size() > sub.inputs().size()) {
                throw new InvalidInputException("subgraph takes " + sub.inputs().size() + " inputs, given " + in.size());
            }
            return Executor.this.run(sub, in.toArray(new Value[0]), frame, state, depth + 1);
        }
    }
}

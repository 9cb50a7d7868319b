package dev.kiln.exec;

import dev.kiln.InvalidInputException;
import dev.kiln.KilnException;
import dev.kiln.ResourceLimitException;
import dev.kiln.backend.DeviceQueue;
import dev.kiln.backend.DeviceStep;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Parallel;
import dev.kiln.backend.Subgraph;
import dev.kiln.compile.DevicePlan;
import dev.kiln.compile.Plan;
import dev.kiln.compile.Step;
import dev.kiln.compile.Transfer;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Walks a plan's steps. Pooled buffers are taken as kernels allocate and given back after the
 * step the plan marks as their last use; graph outputs live in memory the caller keeps.
 *
 * <p>Device steps only enqueue work on the run state's queue. Host steps wait for the
 * downloads they read; the run waits for the queue before it returns, so the next run of the
 * state may reuse the device arena and staging memory.
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
        for (int i = 0; i < plan.inputs().size(); i++) {
            if (i < inputs.length && inputs[i] != null) {
                frame.values[plan.inputId(i)] = inputs[i];
            } else if (plan.constant(plan.inputId(i)) == null) {
                throw new InvalidInputException("graph '" + plan.graphName() + "' needs its input '"
                        + plan.inputs().get(i).name() + "'").forTensor(plan.inputs().get(i).name());
            }
        }
        for (int id : plan.outerIds()) {
            if (parent == null || (frame.values[id] = parent.lookup(plan.name(id))) == null) {
                throw new InvalidInputException("value '" + plan.name(id) + "' from an enclosing graph is not available")
                        .forTensor(plan.name(id));
            }
        }
        StepContext ctx = new StepContext(frame, state, depth);
        boolean failed = true;
        try {
            List<Step> steps = plan.steps();
            for (int s = 0; s < steps.size(); s++) {
                Step step = steps.get(s);
                ctx.step = step;
                ctx.stepIndex = s;
                if (step.kernel() instanceof Transfer t) {
                    transfer(ctx, t);
                } else {
                    if (!step.onDevice()) {
                        ctx.awaitDownloads(step);
                    }
                    if (profiler == null) {
                        runStep(ctx, step);
                    } else {
                        long t0 = System.nanoTime();
                        runStep(ctx, step);
                        profiler.step(step, depth, System.nanoTime() - t0);
                    }
                }
                for (int r : step.release()) {
                    MemorySegment b = frame.buffers[r];
                    if (b != null) {
                        state.buffers.release(b);
                        frame.buffers[r] = null;
                    }
                }
            }
            ctx.finishDownloads();
            List<Value> out = new ArrayList<>(plan.outputs().size());
            for (int i = 0; i < plan.outputs().size(); i++) {
                Value v = frame.values[plan.outputId(i)];
                if (v == null) {
                    throw new InvalidInputException("output '" + plan.outputs().get(i).name() + "' was not computed")
                            .forTensor(plan.outputs().get(i).name());
                }
                out.add(plan.copyOnReturn(i) && v instanceof Tensor t ? t.copy() : v);
            }
            failed = false;
            return out;
        } finally {
            if (failed && ctx.queue != null) {
                // Work still queued may read staging memory the next run reuses: drain it first.
                ctx.drainQuietly();
            }
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
        } catch (ArithmeticException e) {
            // Shape and size arithmetic is exact: an overflow means a size beyond what memory holds.
            if (e.getMessage() != null && e.getMessage().contains("overflow")) {
                KilnException r = new ResourceLimitException("the output's size overflows 64 bits", e).atNode(node.describe());
                int out = step.outputs().length > 0 ? step.outputs()[0] : -1;
                throw out >= 0 ? r.forTensor(ctx.frame.plan.name(out)) : r;
            }
            throw new InvalidInputException("ArithmeticException: " + e.getMessage(), e).atNode(node.describe());
        } catch (RuntimeException e) {
            throw new InvalidInputException(e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e).atNode(node.describe());
        } finally {
            ctx.releaseScratch();
        }
        if (step.onDevice()) {
            return;
        }
        int[] outs = step.outputs();
        for (int i = 0; i < outs.length; i++) {
            if (outs[i] < 0) {
                continue;
            }
            Value v = ctx.frame.values[outs[i]];
            if (v == null) {
                throw new InvalidInputException("kernel produced no value for output " + i)
                        .atNode(node.describe()).forTensor(ctx.frame.plan.name(outs[i]));
            }
            if (!(v instanceof Tensor t) || t.dtype() == DType.STRING) {
                // Sequences, optionals, maps and strings live on the heap, made element by element
                // (each element checked as it was allocated); their total counts too.
                try {
                    ctx.state.budget.check(HeapBytes.of(v), "'" + ctx.frame.plan.name(outs[i]) + "'");
                } catch (KilnException e) {
                    throw e.atNode(node.describe()).forTensor(ctx.frame.plan.name(outs[i]));
                }
            }
        }
    }

    /**
     * Performs a copy the compiler inserted. Uploads stage the host bytes in pinned memory, so
     * the host buffer may be reused at once; downloads land in pinned memory and are waited
     * for only when a host step reads them (or the run ends). On a device sharing memory with
     * the host the staging slot is the device value itself, and the queue copies nothing.
     */
    private static void transfer(StepContext ctx, Transfer t) {
        Step step = ctx.step;
        Plan plan = ctx.frame.plan;
        DevicePlan dp = plan.device();
        int in = step.inputs()[0];
        int out = step.outputs()[0];
        ValueType.TensorType type = (ValueType.TensorType) plan.type(out);
        Shape shape = type.shape().toShape();
        long bytes = type.dtype().byteSize(shape.size());
        long slot = dp.stagingOffset(out);
        MemorySegment staging = ctx.queue.staging();
        try {
            if (t == Transfer.TO_DEVICE) {
                ctx.awaitDownloads(step);
                Tensor src = ctx.tensor(0);
                MemorySegment.copy(src.data(), 0, staging, slot, bytes);
                if (!ctx.inSlot(ctx.address(out), slot)) {
                    ctx.queue.upload(slot, ctx.address(out), bytes);
                }
            } else {
                if (!ctx.inSlot(ctx.address(in), slot)) {
                    ctx.queue.download(ctx.address(in), slot, bytes);
                }
                Tensor target = null;
                if (plan.owned(out)) {
                    ctx.state.budget.check(bytes, "'" + plan.name(out) + "'");
                    target = Tensor.allocate(type.dtype(), shape);
                    ctx.frame.values[out] = target;
                } else {
                    ctx.frame.values[out] = Tensor.wrap(type.dtype(), shape, staging.asSlice(slot, bytes));
                }
                ctx.pending.add(new Download(out, slot, bytes, target));
            }
        } catch (KilnException e) {
            throw e.atNode(step.node().describe()).forTensor(plan.name(out));
        }
    }

    /** A download enqueued but not yet waited for; {@code target} is the caller-owned copy, if any. */
    private record Download(int id, long slot, long bytes, Tensor target) {
    }

    /** The kernel's view of the current step; one per frame, re-pointed at each step. */
    private final class StepContext implements KernelContext {
        final Frame frame;
        final RunState state;
        final int depth;
        final DeviceQueue queue;
        final List<Download> pending = new ArrayList<>();
        Step step;
        int stepIndex;
        private final List<MemorySegment> scratch = new ArrayList<>();
        private final DeviceStep deviceStep = new DeviceStep() {
            @Override
            public DeviceQueue queue() {
                return queue;
            }

            @Override
            public long input(int i) {
                return i < step.inputs().length ? address(step.inputs()[i]) : 0;
            }

            @Override
            public long output(int i) {
                return i < step.outputs().length ? address(step.outputs()[i]) : 0;
            }

            @Override
            public long scratch() {
                long off = frame.plan.device().scratchOffset(stepIndex);
                return off < 0 ? 0 : queue.arena() + off;
            }
        };

        StepContext(Frame frame, RunState state, int depth) {
            this.frame = frame;
            this.state = state;
            this.depth = depth;
            this.queue = frame.plan == state.plan ? state.queue : null;
        }

        /** The device address of value {@code id}: its alias root's place in the arena, or a constant's copy. */
        long address(int id) {
            if (id < 0) {
                return 0;
            }
            int r = frame.plan.root(id);
            Tensor c = frame.plan.constant(r);
            if (c != null) {
                return frame.plan.device().runtime().constant(c);
            }
            long slot = frame.plan.device().stagingPlace(r);
            if (slot >= 0) {
                return queue.staging().address() + slot;
            }
            return queue.arena() + frame.plan.device().offset(r);
        }

        /** True when a device address is a staging slot itself (shared memory): a transfer there has nothing to copy. */
        boolean inSlot(long address, long slot) {
            return frame.plan.device().runtime().unifiedMemory() && address == queue.staging().address() + slot;
        }

        @Override
        public DeviceStep device() {
            if (!step.onDevice() || queue == null) {
                return KernelContext.super.device();
            }
            return deviceStep;
        }

        /** Waits for the downloads a host step is about to read. */
        void awaitDownloads(Step s) {
            if (pending.isEmpty()) {
                return;
            }
            for (Download d : pending) {
                if (reads(s, d.id())) {
                    finishDownloads();
                    return;
                }
            }
        }

        private static boolean reads(Step s, int id) {
            for (int i : s.inputs()) {
                if (i == id) {
                    return true;
                }
            }
            for (int i : s.implicitInputs()) {
                if (i == id) {
                    return true;
                }
            }
            return false;
        }

        /** Synchronizes the queue once and completes every pending download. */
        void finishDownloads() {
            if (queue == null) {
                return;
            }
            queue.synchronize();
            for (Download d : pending) {
                if (d.target() != null) {
                    MemorySegment.copy(queue.staging(), d.slot(), d.target().data(), 0, d.bytes());
                }
            }
            pending.clear();
        }

        void drainQuietly() {
            pending.clear();
            try {
                queue.synchronize();
            } catch (RuntimeException e) {
                // The run already failed; its own error is the one reported.
            }
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
            // A node may leave out trailing optional outputs; the kernel's extra ones go nowhere.
            int id = i < step.outputs().length ? step.outputs()[i] : -1;
            String name = id < 0 ? "output " + i : frame.plan.name(id);
            try {
                Tensor t = allocate(id, name, dtype, shape);
                if (id >= 0) {
                    frame.values[id] = t;
                }
                return t;
            } catch (KilnException e) {
                throw e.forTensor(name);
            }
        }

        /** Every path checks the budget before it allocates. */
        private Tensor allocate(int id, String name, DType dtype, Shape shape) {
            if (dtype == DType.STRING) {
                state.budget.check(HeapBytes.strings(shape.size()), "'" + name + "'");
                return Tensor.allocate(dtype, shape);
            }
            long bytes = dtype.byteSize(shape.size());
            if (id < 0 || frame.plan.owned(id)) {
                state.budget.check(bytes, "'" + name + "'");
                return Tensor.allocate(dtype, shape);
            }
            if (frame.plan == state.plan && frame.plan.arenaOffset(id) >= 0 && bytes <= frame.plan.arenaBytes(id)) {
                return Tensor.wrap(dtype, shape, state.arena.asSlice(frame.plan.arenaOffset(id), bytes));
            }
            MemorySegment seg = state.buffers.acquire(bytes, "'" + name + "'");
            if (frame.buffers[id] != null) {
                state.buffers.release(frame.buffers[id]);
            }
            frame.buffers[id] = seg;
            return Tensor.wrap(dtype, shape, seg.asSlice(0, bytes));
        }

        @Override
        public void set(int i, Value value) {
            int id = i < step.outputs().length ? step.outputs()[i] : -1;
            if (id >= 0) {
                frame.values[id] = value;
            }
        }

        @Override
        public Tensor retain(Tensor t) {
            state.budget.check(HeapBytes.of(t), "a copy of " + t.dtype() + t.shape() + " kept by " + step.node().describe());
            return t.copy();
        }

        @Override
        public void checkMemory(long bytes, String what) {
            state.budget.check(bytes, what);
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

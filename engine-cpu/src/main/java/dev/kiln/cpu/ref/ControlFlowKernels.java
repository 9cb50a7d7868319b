package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.ResourceLimitException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Subgraph;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * If, Loop and Scan. Their bodies are compiled once at bind time and run through
 * {@link KernelContext#run}, which makes the values of enclosing graphs visible to them. Values a
 * body returns are retained, so they can be carried into the next iteration or set as outputs.
 */
final class ControlFlowKernels {
    private ControlFlowKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(ControlFlowKernels::ifKernel, "If");
        r.onnx(ControlFlowKernels::loop, "Loop");
        r.onnx(ControlFlowKernels::scan, "Scan");
    }

    static Graph body(BindContext b, String attr) {
        Graph g = b.node().attrGraph(attr);
        if (g == null) {
            throw new ModelFormatException(b.node().opType() + " needs the graph attribute '" + attr + "'");
        }
        return g;
    }

    // ------------------------------------------------------------------ If

    private static Kernel ifKernel(BindContext b) {
        Subgraph then = b.compile(body(b, "then_branch"));
        Subgraph otherwise = b.compile(body(b, "else_branch"));
        int outs = b.node().outputs().size();
        if (then.outputs().size() != outs || otherwise.outputs().size() != outs) {
            throw new ModelFormatException("If has " + outs + " outputs but its branches return "
                    + then.outputs().size() + " and " + otherwise.outputs().size());
        }
        return k -> {
            List<Value> out = k.run(condition(k.tensor(0), "If") ? then : otherwise, List.of());
            for (int i = 0; i < outs; i++) {
                k.set(i, out.get(i));
            }
        };
    }

    private static boolean condition(Tensor c, String op) {
        if (c.size() != 1 || c.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(op + " condition must be a single bool, got " + c.dtype() + c.shape());
        }
        return c.getBoolean(0);
    }

    // ------------------------------------------------------------------ Loop

    private static Kernel loop(BindContext b) {
        Subgraph body = b.compile(body(b, "body"));
        int carried = b.inputCount() - 2;
        if (carried < 0 || body.inputs().size() != carried + 2 || body.outputs().size() < carried + 1) {
            throw new ModelFormatException("Loop with " + Math.max(carried, 0) + " loop-carried values needs a body of "
                    + (Math.max(carried, 0) + 2) + " inputs and at least " + (Math.max(carried, 0) + 1)
                    + " outputs; it has " + body.inputs().size() + " and " + body.outputs().size());
        }
        int scans = body.outputs().size() - 1 - carried;
        if (b.node().outputs().size() > carried + scans) {
            throw new ModelFormatException("Loop has " + b.node().outputs().size() + " outputs; its body makes only "
                    + (carried + scans));
        }
        return k -> {
            long max = k.hasInput(0) ? scalarLong(k.tensor(0), "trip count") : Long.MAX_VALUE;
            boolean cond = !k.hasInput(1) || condition(k.tensor(1), "Loop");
            List<Value> state = new ArrayList<>();
            for (int i = 0; i < carried; i++) {
                state.add(retained(k, k.input(2 + i)));
            }
            List<List<Tensor>> scanned = new ArrayList<>();
            for (int j = 0; j < scans; j++) {
                scanned.add(new ArrayList<>());
            }
            long scannedBytes = 0;
            for (long it = 0; it < max && cond; it++) {
                checkInterrupted("Loop", it);
                List<Value> in = new ArrayList<>(carried + 2);
                in.add(Tensor.scalar(it));
                in.add(Tensor.ofBooleans(new long[0], cond));
                in.addAll(state);
                List<Value> out = k.run(body, in);
                cond = condition(asTensor(out.get(0), "Loop condition"), "Loop");
                for (int i = 0; i < carried; i++) {
                    state.set(i, out.get(1 + i));
                }
                for (int j = 0; j < scans; j++) {
                    Tensor t = asTensor(out.get(1 + carried + j), "Loop scan output " + j);
                    scanned.get(j).add(t);
                    scannedBytes = Math.addExact(scannedBytes, t.byteSize());
                }
                // A large trip count grows the scan outputs without bound: they count against the budget.
                k.checkMemory(scannedBytes, "the scan outputs of " + (it + 1) + " Loop iterations");
            }
            for (int i = 0; i < carried && i < k.outputCount(); i++) {
                k.set(i, state.get(i));
            }
            for (int j = 0; j < scans && carried + j < k.outputCount(); j++) {
                if (k.hasOutput(carried + j)) {
                    writeStacked(k, carried + j, scanned.get(j), 0, false, body.outputs().get(1 + carried + j).type());
                }
            }
        };
    }

    // ------------------------------------------------------------------ Scan

    private static Kernel scan(BindContext b) {
        Subgraph body = b.compile(body(b, "body"));
        int m = (int) b.node().attrInt("num_scan_inputs", -1);
        boolean batched = b.opset() < 9;
        int first = batched ? 1 : 0;
        int n = b.inputCount() - first - m;
        if (m < 1 || n < 0 || body.inputs().size() != n + m || body.outputs().size() < n) {
            throw new ModelFormatException("Scan with num_scan_inputs " + m + " and " + (b.inputCount() - first)
                    + " inputs does not fit its body of " + body.inputs().size() + " inputs and "
                    + body.outputs().size() + " outputs");
        }
        int kOut = body.outputs().size() - n;
        long[] inAxes = orDefault(b.node().attrInts("scan_input_axes"), m, 0);
        long[] inDirs = orDefault(b.node().attrInts(batched ? "directions" : "scan_input_directions"), m, 0);
        long[] outAxes = orDefault(b.node().attrInts("scan_output_axes"), kOut, 0);
        long[] outDirs = orDefault(b.node().attrInts("scan_output_directions"), kOut, 0);
        ScanSpec spec = new ScanSpec(body, n, m, kOut, inAxes, inDirs, outAxes, outDirs);
        return batched ? k -> scan8(k, spec) : k -> scan9(k, spec);
    }

    /** What a Scan node iterates, as read from its attributes. */
    private record ScanSpec(Subgraph body, int n, int m, int k, long[] inAxes, long[] inDirs, long[] outAxes,
                            long[] outDirs) {
        ValueType outputType(int j) {
            return body.outputs().get(n + j).type();
        }
    }

    private static long[] orDefault(long[] given, int count, long def) {
        if (given == null) {
            long[] r = new long[count];
            java.util.Arrays.fill(r, def);
            return r;
        }
        if (given.length != count) {
            throw new ModelFormatException("Scan attribute lists must have one entry per scan input or output; got "
                    + given.length + " for " + count);
        }
        return given;
    }

    /** Scan-9 and later: no batch axis; each scan input is iterated along its own axis. */
    private static void scan9(KernelContext k, ScanSpec s) {
        List<Value> state = new ArrayList<>();
        for (int i = 0; i < s.n; i++) {
            state.add(retained(k, k.input(i)));
        }
        Tensor[] inputs = new Tensor[s.m];
        int[] axes = new int[s.m];
        long length = -1;
        for (int j = 0; j < s.m; j++) {
            inputs[j] = k.tensor(s.n + j);
            axes[j] = Shape.normalizeAxis(s.inAxes[j], inputs[j].rank());
            long len = inputs[j].shape().dim(axes[j]);
            if (length >= 0 && len != length) {
                throw new IllegalArgumentException("Scan inputs have different sequence lengths: " + length + " and " + len);
            }
            length = len;
        }
        List<List<Tensor>> scanned = new ArrayList<>();
        for (int j = 0; j < s.k; j++) {
            scanned.add(new ArrayList<>());
        }
        long scannedBytes = 0;
        for (long t = 0; t < length; t++) {
            checkInterrupted("Scan", t);
            List<Value> in = new ArrayList<>(state);
            for (int j = 0; j < s.m; j++) {
                in.add(AxisSlices.take(inputs[j], axes[j], s.inDirs[j] == 0 ? t : length - 1 - t));
            }
            List<Value> out = k.run(s.body, in);
            for (int i = 0; i < s.n; i++) {
                state.set(i, out.get(i));
            }
            for (int j = 0; j < s.k; j++) {
                Tensor o = asTensor(out.get(s.n + j), "Scan output " + j);
                scanned.get(j).add(o);
                scannedBytes = Math.addExact(scannedBytes, o.byteSize());
            }
            k.checkMemory(scannedBytes, "the outputs of " + (t + 1) + " Scan iterations");
        }
        for (int i = 0; i < s.n; i++) {
            k.set(i, state.get(i));
        }
        for (int j = 0; j < s.k; j++) {
            if (k.hasOutput(s.n + j)) {
                writeStacked(k, s.n + j, scanned.get(j), s.outAxes[j], s.outDirs[j] != 0, s.outputType(j));
            }
        }
    }

    /**
     * Scan-8: axis 0 of every input is a batch, axis 1 the sequence; each batch entry runs its
     * own loop, for {@code sequence_lens[b]} steps when given. Scan outputs are padded with zeros
     * to the longest sequence.
     */
    private static void scan8(KernelContext k, ScanSpec s) {
        Tensor lens = k.hasInput(0) ? k.tensor(0) : null;
        Tensor[] inputs = new Tensor[s.m];
        long batch = -1;
        long maxLen = -1;
        for (int j = 0; j < s.m; j++) {
            inputs[j] = k.tensor(1 + s.n + j);
            if (inputs[j].rank() < 2) {
                throw new IllegalArgumentException("Scan-8 inputs need a batch and a sequence axis, got " + inputs[j].shape());
            }
            if ((batch >= 0 && inputs[j].shape().dim(0) != batch) || (maxLen >= 0 && inputs[j].shape().dim(1) != maxLen)) {
                throw new IllegalArgumentException("Scan inputs disagree on batch size or sequence length");
            }
            batch = inputs[j].shape().dim(0);
            maxLen = inputs[j].shape().dim(1);
        }
        if (lens != null && lens.size() != batch) {
            throw new IllegalArgumentException("sequence_lens has " + lens.size() + " entries for a batch of " + batch);
        }
        List<List<Value>> finals = new ArrayList<>();
        List<List<Tensor>> outputs = new ArrayList<>();
        for (int j = 0; j < s.k; j++) {
            outputs.add(new ArrayList<>());
        }
        for (long bi = 0; bi < batch; bi++) {
            List<Value> state = new ArrayList<>();
            for (int i = 0; i < s.n; i++) {
                state.add(AxisSlices.take(k.tensor(1 + i), 0, bi));
            }
            long len = lens == null ? maxLen : lens.getLong(bi);
            if (len < 0 || len > maxLen) {
                throw new IllegalArgumentException("sequence length " + len + " is outside [0, " + maxLen + "]");
            }
            Tensor[] rows = new Tensor[s.m];
            for (int j = 0; j < s.m; j++) {
                rows[j] = AxisSlices.take(inputs[j], 0, bi);
            }
            List<List<Tensor>> scanned = new ArrayList<>();
            for (int j = 0; j < s.k; j++) {
                scanned.add(new ArrayList<>());
            }
            for (long t = 0; t < len; t++) {
                checkInterrupted("Scan", t);
                List<Value> in = new ArrayList<>(state);
                for (int j = 0; j < s.m; j++) {
                    in.add(AxisSlices.take(rows[j], 0, s.inDirs[j] == 0 ? t : len - 1 - t));
                }
                List<Value> out = k.run(s.body, in);
                for (int i = 0; i < s.n; i++) {
                    state.set(i, out.get(i));
                }
                for (int j = 0; j < s.k; j++) {
                    scanned.get(j).add(asTensor(out.get(s.n + j), "Scan output " + j));
                }
            }
            finals.add(state);
            for (int j = 0; j < s.k; j++) {
                outputs.get(j).add(padded(scanned.get(j), maxLen, s.outputType(j)));
            }
        }
        for (int i = 0; i < s.n; i++) {
            List<Tensor> perBatch = new ArrayList<>();
            for (List<Value> st : finals) {
                perBatch.add(asTensor(st.get(i), "Scan state " + i));
            }
            writeStacked(k, i, perBatch, 0, false, s.body.outputs().get(i).type());
        }
        for (int j = 0; j < s.k; j++) {
            writeStacked(k, s.n + j, outputs.get(j), 0, false, s.outputType(j));
        }
    }

    /** One batch entry's scan output: its elements stacked, then zero rows up to {@code length}. */
    private static Tensor padded(List<Tensor> parts, long length, ValueType declared) {
        if (parts.isEmpty()) {
            return Tensor.allocate(emptyType(declared).dtype(), Shape.of(AxisSlices.with(elementDims(declared), 0, length)));
        }
        Tensor first = parts.get(0);
        AxisSlices.stackedShape(parts, 0, first.dtype());
        Tensor y = Tensor.allocate(first.dtype(), Shape.of(AxisSlices.with(first.shape().dims(), 0, length)));
        for (int t = 0; t < parts.size(); t++) {
            AxisSlices.copyBlocks(parts.get(t), 1, 0, y, length, t, 1, 1, first.size());
        }
        return y;
    }

    // ------------------------------------------------------------------ shared

    /**
     * Writes the per-iteration {@code parts} of a scan output into output {@code index}, stacked
     * along a new axis at {@code axisAttr}, in reverse order when {@code prepend}. With no parts,
     * the output is empty along that axis and takes its other dimensions from the body's type.
     */
    private static void writeStacked(KernelContext k, int index, List<Tensor> parts, long axisAttr, boolean prepend,
                                     ValueType declared) {
        if (parts.isEmpty()) {
            long[] dims = elementDims(declared);
            int axis = Shape.normalizeAxis(axisAttr, dims.length + 1);
            k.allocate(index, emptyType(declared).dtype(), Shape.of(AxisSlices.with(dims, axis, 0)));
            return;
        }
        List<Tensor> ordered = parts;
        if (prepend) {
            ordered = new ArrayList<>(parts);
            java.util.Collections.reverse(ordered);
        }
        DType dtype = parts.get(0).dtype();
        int axis = Shape.normalizeAxis(axisAttr, parts.get(0).rank() + 1);
        Tensor y = k.allocate(index, dtype, AxisSlices.stackedShape(ordered, axis, dtype));
        AxisSlices.stack(ordered, y, axis);
    }

    private static ValueType.TensorType emptyType(ValueType declared) {
        if (declared instanceof ValueType.TensorType t) {
            return t;
        }
        throw new IllegalArgumentException("a scan output made no elements and its type is not known");
    }

    /** The dimensions of a declared element type; unknown dimensions count as 0 (the result is empty anyway). */
    private static long[] elementDims(ValueType declared) {
        ValueType.TensorType t = emptyType(declared);
        if (t.shape() == null) {
            return new long[0];
        }
        long[] dims = new long[t.shape().rank()];
        for (int i = 0; i < dims.length; i++) {
            Dim d = t.shape().dim(i);
            dims[i] = d.isKnown() ? d.value() : 0;
        }
        return dims;
    }

    /** A value safe to keep beyond this step: tensors in pooled memory are copied. */
    private static Value retained(KernelContext k, Value v) {
        return v instanceof Tensor t ? k.retain(t) : v;
    }

    static Tensor asTensor(Value v, String what) {
        if (v instanceof Tensor t) {
            return t;
        }
        throw new IllegalArgumentException(what + " must be a tensor, got " + v.type());
    }

    private static long scalarLong(Tensor t, String what) {
        if (t.size() != 1) {
            throw new IllegalArgumentException(what + " must hold one element, got " + t.shape());
        }
        return t.getLong(0);
    }

    /** Lets a caller's cancellation (an interrupt) stop a loop that would otherwise run on. */
    static void checkInterrupted(String op, long iteration) {
        if (Thread.currentThread().isInterrupted()) {
            throw new ResourceLimitException(op + " interrupted at iteration " + iteration);
        }
    }
}

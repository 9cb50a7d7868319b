package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.backend.Subgraph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.SequenceValue;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * Sequence operators: SequenceEmpty, SequenceConstruct, SequenceAt, SequenceInsert,
 * SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence and SequenceMap.
 * Sequences are immutable values; a tensor enters one only as a retained copy, so a sequence
 * never points into memory the run will reuse.
 */
final class SequenceKernels {
    private SequenceKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(SequenceKernels::empty, "SequenceEmpty");
        r.onnx(b -> SequenceKernels::construct, "SequenceConstruct");
        r.onnx(b -> SequenceKernels::at, "SequenceAt");
        r.onnx(b -> SequenceKernels::insert, "SequenceInsert");
        r.onnx(b -> SequenceKernels::erase, "SequenceErase");
        r.onnx(b -> k -> k.allocate(0, DType.INT64, Shape.SCALAR).setLong(0, sequence(k, 0).size()), "SequenceLength");
        r.onnx(SequenceKernels::splitToSequence, "SplitToSequence");
        r.onnx(SequenceKernels::concatFromSequence, "ConcatFromSequence");
        r.onnx(SequenceKernels::map, "SequenceMap");
    }

    static SequenceValue sequence(KernelContext k, int i) {
        if (k.input(i) instanceof SequenceValue s) {
            return s;
        }
        throw new IllegalArgumentException("input " + i + " must be a sequence, got "
                + (k.input(i) == null ? "nothing" : k.input(i).type()));
    }

    /** The element type recorded for tensors of {@code dtype}: shapes may differ between elements. */
    static ValueType elementType(DType dtype) {
        return ValueType.tensor(dtype);
    }

    private static Kernel empty(BindContext b) {
        DType dtype = DType.fromCode((int) b.node().attrInt("dtype", DType.FLOAT.code()));
        if (dtype == null || dtype == DType.UNDEFINED) {
            throw new ModelFormatException("SequenceEmpty dtype " + b.node().attrInt("dtype", 0) + " is not a tensor type");
        }
        SequenceValue value = new SequenceValue(elementType(dtype), List.of());
        return k -> k.set(0, value);
    }

    private static void construct(KernelContext k) {
        List<Value> elems = new ArrayList<>();
        DType dtype = null;
        for (int i = 0; i < k.inputCount(); i++) {
            Tensor t = k.tensor(i);
            if (dtype != null && t.dtype() != dtype) {
                throw new IllegalArgumentException("SequenceConstruct inputs mix " + dtype + " and " + t.dtype());
            }
            dtype = t.dtype();
            elems.add(k.retain(t));
        }
        if (dtype == null) {
            throw new IllegalArgumentException("SequenceConstruct needs at least one input");
        }
        k.set(0, new SequenceValue(elementType(dtype), elems));
    }

    /** A position in {@code [-size, size + extra)}, made non-negative. */
    private static int position(Tensor p, int size, int extra, String op) {
        if (p.size() != 1 || !p.dtype().isInteger()) {
            throw new IllegalArgumentException(op + " position must be one integer, got " + p.dtype() + p.shape());
        }
        long v = p.getLong(0);
        if (v < -size || v >= size + extra) {
            throw new IllegalArgumentException(op + " position " + v + " is out of range for a sequence of " + size);
        }
        return (int) (v < 0 ? v + size : v);
    }

    private static void at(KernelContext k) {
        SequenceValue s = sequence(k, 0);
        k.set(0, s.get(position(k.tensor(1), s.size(), 0, "SequenceAt")));
    }

    private static void insert(KernelContext k) {
        SequenceValue s = sequence(k, 0);
        Tensor t = k.tensor(1);
        if (s.elementType() instanceof ValueType.TensorType et && et.dtype() != t.dtype()) {
            throw new IllegalArgumentException("cannot insert a " + t.dtype() + " tensor into a sequence of " + et.dtype());
        }
        int pos = k.hasInput(2) ? position(k.tensor(2), s.size(), 1, "SequenceInsert") : s.size();
        List<Value> elems = new ArrayList<>(s.elements());
        elems.add(pos, k.retain(t));
        k.set(0, new SequenceValue(s.elementType(), elems));
    }

    private static void erase(KernelContext k) {
        SequenceValue s = sequence(k, 0);
        if (s.size() == 0) {
            throw new IllegalArgumentException("SequenceErase on an empty sequence");
        }
        int pos = k.hasInput(1) ? position(k.tensor(1), s.size(), 0, "SequenceErase") : s.size() - 1;
        List<Value> elems = new ArrayList<>(s.elements());
        elems.remove(pos);
        k.set(0, new SequenceValue(s.elementType(), elems));
    }

    private static Kernel splitToSequence(BindContext b) {
        long axisAttr = b.node().attrInt("axis", 0);
        boolean keepDims = b.node().attrInt("keepdims", 1) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            int axis = Shape.normalizeAxis(axisAttr, x.rank());
            long len = x.shape().dim(axis);
            long[] sizes;
            boolean squeeze = false;
            if (!k.hasInput(1)) {
                sizes = new long[(int) len];
                java.util.Arrays.fill(sizes, 1);
                squeeze = !keepDims;
            } else {
                Tensor split = k.tensor(1);
                if (split.rank() == 0) {
                    long chunk = split.getLong(0);
                    if (chunk <= 0) {
                        throw new IllegalArgumentException("SplitToSequence split size must be positive, got " + chunk);
                    }
                    sizes = new long[(int) Math.ceilDiv(len, chunk)];
                    for (int i = 0; i < sizes.length; i++) {
                        sizes[i] = Math.min(chunk, len - i * chunk);
                    }
                } else {
                    sizes = split.toLongArray();
                    long sum = 0;
                    for (long v : sizes) {
                        if (v < 0) {
                            throw new IllegalArgumentException("SplitToSequence split sizes must not be negative");
                        }
                        sum += v;
                    }
                    if (sum != len) {
                        throw new IllegalArgumentException("SplitToSequence split sizes " + java.util.Arrays.toString(sizes)
                                + " do not add up to " + len);
                    }
                }
            }
            long outer = x.shape().sizeBetween(0, axis);
            long inner = x.shape().sizeBetween(axis + 1, x.rank());
            List<Value> parts = new ArrayList<>();
            long start = 0;
            for (long size : sizes) {
                long[] dims = x.shape().dims();
                dims[axis] = size;
                Tensor part = Tensor.allocate(x.dtype(), Shape.of(squeeze ? AxisSlices.without(dims, axis) : dims));
                AxisSlices.copyBlocks(x, len, start, part, size, 0, outer, size, inner);
                parts.add(part);
                start += size;
            }
            k.set(0, new SequenceValue(elementType(x.dtype()), parts));
        };
    }

    private static Kernel concatFromSequence(BindContext b) {
        long axisAttr = b.node().attrInt("axis", Long.MIN_VALUE);
        if (axisAttr == Long.MIN_VALUE) {
            throw new ModelFormatException("ConcatFromSequence requires the 'axis' attribute");
        }
        boolean newAxis = b.node().attrInt("new_axis", 0) != 0;
        return k -> {
            SequenceValue s = sequence(k, 0);
            if (s.size() == 0) {
                throw new IllegalArgumentException("ConcatFromSequence of an empty sequence");
            }
            List<Tensor> parts = new ArrayList<>();
            for (Value v : s.elements()) {
                parts.add(ControlFlowKernels.asTensor(v, "sequence element"));
            }
            Tensor first = parts.get(0);
            if (newAxis) {
                int axis = Shape.normalizeAxis(axisAttr, first.rank() + 1);
                Tensor y = k.allocate(0, first.dtype(), AxisSlices.stackedShape(parts, axis, first.dtype()));
                AxisSlices.stack(parts, y, axis);
                return;
            }
            int axis = Shape.normalizeAxis(axisAttr, first.rank());
            long[] out = first.shape().dims();
            out[axis] = 0;
            for (Tensor t : parts) {
                if (t.dtype() != first.dtype() || t.rank() != first.rank()) {
                    throw new IllegalArgumentException("ConcatFromSequence elements " + first.dtype() + first.shape()
                            + " and " + t.dtype() + t.shape() + " do not match");
                }
                for (int d = 0; d < t.rank(); d++) {
                    if (d != axis && t.shape().dim(d) != first.shape().dim(d)) {
                        throw new IllegalArgumentException("ConcatFromSequence elements " + first.shape() + " and "
                                + t.shape() + " differ outside axis " + axis);
                    }
                }
                out[axis] += t.shape().dim(axis);
            }
            Shape shape = Shape.of(out);
            Tensor y = k.allocate(0, first.dtype(), shape);
            long outer = shape.sizeBetween(0, axis);
            long inner = shape.sizeBetween(axis + 1, shape.rank());
            long offset = 0;
            for (Tensor t : parts) {
                long n = t.shape().dim(axis);
                AxisSlices.copyBlocks(t, n, 0, y, out[axis], offset, outer, n, inner);
                offset += n;
            }
        };
    }

    /**
     * SequenceMap: runs the body once per element of the first input; other sequence inputs
     * contribute their element at the same position, tensor inputs are passed whole each time.
     */
    private static Kernel map(BindContext b) {
        Subgraph body = b.compile(ControlFlowKernels.body(b, "body"));
        int inputs = b.inputCount();
        int outputs = b.node().outputs().size();
        if (body.inputs().size() != inputs || body.outputs().size() != outputs) {
            throw new ModelFormatException("SequenceMap with " + inputs + " inputs and " + outputs
                    + " outputs needs a body of that many; it has " + body.inputs().size() + " and "
                    + body.outputs().size());
        }
        return k -> {
            int n = sequence(k, 0).size();
            for (int i = 1; i < inputs; i++) {
                if (k.input(i) instanceof SequenceValue s && s.size() != n) {
                    throw new IllegalArgumentException("SequenceMap input sequences have lengths " + n + " and " + s.size());
                }
            }
            List<List<Value>> results = new ArrayList<>();
            for (int j = 0; j < outputs; j++) {
                results.add(new ArrayList<>());
            }
            for (int e = 0; e < n; e++) {
                ControlFlowKernels.checkInterrupted("SequenceMap", e);
                List<Value> in = new ArrayList<>(inputs);
                for (int i = 0; i < inputs; i++) {
                    Value v = k.input(i);
                    in.add(v instanceof SequenceValue s ? s.get(e) : v);
                }
                List<Value> out = k.run(body, in);
                for (int j = 0; j < outputs; j++) {
                    results.get(j).add(out.get(j));
                }
            }
            for (int j = 0; j < outputs; j++) {
                ValueType et = results.get(j).isEmpty() ? declaredElement(body, j) : results.get(j).get(0).type();
                if (et instanceof ValueType.TensorType tt) {
                    et = elementType(tt.dtype());
                }
                k.set(j, new SequenceValue(et, results.get(j)));
            }
        };
    }

    private static ValueType declaredElement(Subgraph body, int j) {
        ValueType t = body.outputs().get(j).type();
        if (t == null) {
            throw new IllegalArgumentException("SequenceMap output " + j + " is empty and its element type is unknown");
        }
        return t;
    }
}

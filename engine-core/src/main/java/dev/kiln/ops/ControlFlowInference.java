package dev.kiln.ops;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference for If, Loop and Scan from the types their bodies declare: a branch or body output
 * without a declared type leaves the node's output unknown.
 */
final class ControlFlowInference {
    private ControlFlowInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(ControlFlowInference::ifOp, "If");
        r.onnx(ControlFlowInference::loop, "Loop");
        r.onnx(ControlFlowInference::scan, "Scan");
    }

    private static ValueType declared(Graph g, int i) {
        return g == null || i >= g.outputs().size() ? null : g.outputs().get(i).type();
    }

    private static void ifOp(InferenceContext ctx) {
        Graph then = ctx.node().attrGraph("then_branch");
        Graph otherwise = ctx.node().attrGraph("else_branch");
        for (int i = 0; i < ctx.node().outputs().size(); i++) {
            ctx.output(i, merge(declared(then, i), declared(otherwise, i)));
        }
    }

    /**
     * What two types have in common: the same kind and element type, with the dimensions that
     * agree; {@code null} when either is unknown or they differ in kind or element type.
     */
    static ValueType merge(ValueType a, ValueType b) {
        if (a == null || b == null) {
            return null;
        }
        if (a instanceof TensorType x && b instanceof TensorType y) {
            if (x.dtype() != y.dtype()) {
                return null;
            }
            if (x.shape() == null || y.shape() == null || x.shape().rank() != y.shape().rank()) {
                return ValueType.tensor(x.dtype());
            }
            List<Dim> dims = new ArrayList<>();
            for (int d = 0; d < x.shape().rank(); d++) {
                dims.add(x.shape().dim(d).equals(y.shape().dim(d)) ? x.shape().dim(d) : Dim.UNKNOWN);
            }
            return ValueType.tensor(x.dtype(), SymbolicShape.of(dims));
        }
        if (a instanceof ValueType.SequenceType x && b instanceof ValueType.SequenceType y) {
            ValueType e = merge(x.elementType(), y.elementType());
            return e == null ? null : new ValueType.SequenceType(e);
        }
        if (a instanceof ValueType.OptionalType x && b instanceof ValueType.OptionalType y) {
            ValueType e = merge(x.elementType(), y.elementType());
            return e == null ? null : new ValueType.OptionalType(e);
        }
        return a.equals(b) ? a : null;
    }

    private static void loop(InferenceContext ctx) {
        Graph body = ctx.node().attrGraph("body");
        int carried = ctx.inputCount() - 2;
        Node n = ctx.node();
        for (int i = 0; i < n.outputs().size(); i++) {
            if (i < carried) {
                // A carried value may change shape between iterations: keep what the start and the body agree on.
                ctx.output(i, merge(ctx.inputType(2 + i), declared(body, 1 + i)));
            } else if (declared(body, 1 + i) instanceof TensorType t) {
                ctx.output(i, stacked(t, 0, Dim.UNKNOWN));
            }
        }
    }

    private static void scan(InferenceContext ctx) {
        Graph body = ctx.node().attrGraph("body");
        int m = (int) ctx.node().attrInt("num_scan_inputs", -1);
        boolean batched = ctx.opset() < 9;
        int first = batched ? 1 : 0;
        int n = ctx.inputCount() - first - m;
        if (body == null || m < 1 || n < 0) {
            return;
        }
        TensorType scanned = ctx.tensorType(first + n);
        long[] inAxes = ctx.node().attrInts("scan_input_axes");
        long[] outAxes = ctx.node().attrInts("scan_output_axes");
        Dim length = Dim.UNKNOWN;
        Dim batch = Dim.UNKNOWN;
        if (scanned != null && scanned.shape() != null) {
            int rank = scanned.shape().rank();
            if (batched && rank >= 2) {
                batch = scanned.shape().dim(0);
                length = scanned.shape().dim(1);
            } else if (!batched) {
                long a = inAxes == null ? 0 : inAxes[0];
                a = a < 0 ? a + rank : a;
                if (a >= 0 && a < rank) {
                    length = scanned.shape().dim((int) a);
                }
            }
        }
        for (int i = 0; i < ctx.node().outputs().size(); i++) {
            ValueType t = declared(body, i);
            if (!(t instanceof TensorType tt)) {
                continue;
            }
            if (i < n) {
                ctx.output(i, batched ? stacked(tt, 0, batch) : merge(ctx.inputType(first + i), t));
            } else if (batched) {
                TensorType perBatch = stacked(tt, 0, length);
                ctx.output(i, perBatch == null ? null : stacked(perBatch, 0, batch));
            } else {
                long a = outAxes == null || i - n >= outAxes.length ? 0 : outAxes[i - n];
                int rank = tt.shape() == null ? -1 : tt.shape().rank() + 1;
                if (rank < 0) {
                    ctx.output(i, ValueType.tensor(tt.dtype()));
                } else if (a >= -rank && a < rank) {
                    ctx.output(i, stacked(tt, (int) (a < 0 ? a + rank : a), length));
                }
            }
        }
    }

    /** {@code t} with a new dimension {@code d} inserted at {@code axis}; unknown rank stays unknown. */
    private static TensorType stacked(TensorType t, int axis, Dim d) {
        if (t.shape() == null) {
            return ValueType.tensor(t.dtype());
        }
        List<Dim> dims = new ArrayList<>(t.shape().dims());
        dims.add(axis, d);
        return ValueType.tensor(t.dtype(), SymbolicShape.of(dims));
    }
}

package dev.kiln.ops;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.SequenceType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Inference for the sequence and optional operators. */
final class SequenceInference {
    private SequenceInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(SequenceInference::empty, "SequenceEmpty");
        r.onnx(SequenceInference::construct, "SequenceConstruct");
        r.onnx(ctx -> {
            if (ctx.inputType(0) instanceof SequenceType s) {
                ctx.output(0, s.elementType());
            }
        }, "SequenceAt");
        r.onnx(SequenceInference::insert, "SequenceInsert");
        r.onnx(ElementwiseInference::sameAsInput0, "SequenceErase");
        r.onnx(ctx -> ctx.output(0, ValueType.tensor(DType.INT64, Shape.SCALAR)), "SequenceLength");
        r.onnx(SequenceInference::splitToSequence, "SplitToSequence");
        r.onnx(SequenceInference::concatFromSequence, "ConcatFromSequence");
        r.onnx(SequenceInference::map, "SequenceMap");
        r.onnx(SequenceInference::optional, "Optional");
        r.onnx(ctx -> ctx.output(0, ValueType.tensor(DType.BOOL, Shape.SCALAR)), "OptionalHasElement");
        r.onnx(ctx -> ctx.output(0, ctx.inputType(0) instanceof ValueType.OptionalType o ? o.elementType()
                : ctx.inputType(0)), "OptionalGetElement");
    }

    private static void empty(InferenceContext ctx) {
        DType dtype = DType.fromCode((int) ctx.node().attrInt("dtype", DType.FLOAT.code()));
        if (dtype != null && dtype != DType.UNDEFINED) {
            ctx.output(0, new SequenceType(ValueType.tensor(dtype)));
        }
    }

    private static void construct(InferenceContext ctx) {
        ValueType e = ctx.inputType(0);
        for (int i = 1; i < ctx.inputCount() && e != null; i++) {
            e = ControlFlowInference.merge(e, ctx.inputType(i));
        }
        if (e != null) {
            ctx.output(0, new SequenceType(e));
        }
    }

    private static void insert(InferenceContext ctx) {
        if (ctx.inputType(0) instanceof SequenceType s) {
            ValueType e = ControlFlowInference.merge(s.elementType(), ctx.inputType(1));
            ctx.output(0, new SequenceType(e != null ? e : s.elementType() instanceof TensorType t
                    ? ValueType.tensor(t.dtype()) : s.elementType()));
        }
    }

    private static void splitToSequence(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        if (t.shape() == null) {
            ctx.output(0, new SequenceType(ValueType.tensor(t.dtype())));
            return;
        }
        int rank = t.shape().rank();
        long a = ctx.node().attrInt("axis", 0);
        int axis = (int) (a < 0 ? a + rank : a);
        if (axis < 0 || axis >= rank) {
            throw ctx.fail("SplitToSequence axis " + a + " out of range for rank " + rank);
        }
        boolean squeeze = !ctx.hasInput(1) && ctx.node().attrInt("keepdims", 1) == 0;
        List<Dim> dims = new ArrayList<>(t.shape().dims());
        if (squeeze) {
            dims.remove(axis);
        } else {
            dims.set(axis, ctx.hasInput(1) ? Dim.UNKNOWN : Dim.of(1));
        }
        ctx.output(0, new SequenceType(ValueType.tensor(t.dtype(), SymbolicShape.of(dims))));
    }

    private static void concatFromSequence(InferenceContext ctx) {
        if (!(ctx.inputType(0) instanceof SequenceType s) || !(s.elementType() instanceof TensorType e)) {
            return;
        }
        if (e.shape() == null) {
            ctx.output(0, ValueType.tensor(e.dtype()));
            return;
        }
        boolean newAxis = ctx.node().attrInt("new_axis", 0) != 0;
        int rank = e.shape().rank() + (newAxis ? 1 : 0);
        long a = ctx.node().attrInt("axis", 0);
        int axis = (int) (a < 0 ? a + rank : a);
        if (axis < 0 || axis >= rank) {
            throw ctx.fail("ConcatFromSequence axis " + a + " out of range for rank " + rank);
        }
        List<Dim> dims = new ArrayList<>(e.shape().dims());
        if (newAxis) {
            dims.add(axis, Dim.UNKNOWN);
        } else {
            dims.set(axis, Dim.UNKNOWN);
        }
        ctx.output(0, ValueType.tensor(e.dtype(), SymbolicShape.of(dims)));
    }

    private static void map(InferenceContext ctx) {
        Graph body = ctx.node().attrGraph("body");
        for (int i = 0; body != null && i < body.outputs().size() && i < ctx.node().outputs().size(); i++) {
            ValueType t = body.outputs().get(i).type();
            if (t instanceof TensorType tt) {
                // Elements may differ in shape from one to the next.
                t = ValueType.tensor(tt.dtype(), tt.shape() == null ? null : SymbolicShape.unknownDims(tt.shape().rank()));
            }
            if (t != null) {
                ctx.output(i, new SequenceType(t));
            }
        }
    }

    private static void optional(InferenceContext ctx) {
        if (ctx.hasInput(0)) {
            ValueType t = ctx.inputType(0);
            if (t != null) {
                ctx.output(0, new ValueType.OptionalType(t));
            }
        } else if (ctx.node().attribute("type") instanceof Attribute.TypeAttr a && a.value() != null) {
            ctx.output(0, new ValueType.OptionalType(a.value()));
        }
    }
}

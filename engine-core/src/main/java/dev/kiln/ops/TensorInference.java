package dev.kiln.ops;

import dev.kiln.graph.Attribute;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Inference for operators that move data without arithmetic: shape, reshape, gather, concat, slice... */
final class TensorInference {
    private TensorInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(TensorInference::shape, "Shape");
        r.onnx(ctx -> ctx.output(0, ValueType.tensor(DType.INT64, Shape.SCALAR)), "Size");
        r.onnx(TensorInference::constant, "Constant");
        r.onnx(TensorInference::constantOfShape, "ConstantOfShape");
        r.onnx(TensorInference::reshape, "Reshape");
        r.onnx(TensorInference::flatten, "Flatten");
        r.onnx(TensorInference::squeeze, "Squeeze");
        r.onnx(TensorInference::unsqueeze, "Unsqueeze");
        r.onnx(TensorInference::transpose, "Transpose");
        r.onnx(TensorInference::concat, "Concat");
        r.onnx(TensorInference::gather, "Gather");
        r.onnx(TensorInference::expand, "Expand");
    }

    private static void shape(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null || t.shape() == null) {
            ctx.output(0, ValueType.tensor(DType.INT64, SymbolicShape.unknownDims(1)));
            return;
        }
        int rank = t.shape().rank();
        int start = clampAxis(ctx.node().attrInt("start", 0), rank);
        int end = clampAxis(ctx.node().attrInt("end", rank), rank);
        int n = Math.max(0, end - start);
        boolean known = true;
        long[] dims = new long[n];
        for (int i = 0; i < n; i++) {
            Dim d = t.shape().dim(start + i);
            if (d.isKnown()) {
                dims[i] = d.value();
            } else {
                known = false;
            }
        }
        if (known) {
            ctx.outputConstant(0, Tensor.ofLongs(new long[] {n}, dims));
        } else {
            ctx.output(0, ValueType.tensor(DType.INT64, SymbolicShape.known(n)));
        }
    }

    private static int clampAxis(long a, int rank) {
        long v = a < 0 ? a + rank : a;
        return (int) Math.max(0, Math.min(rank, v));
    }

    private static void constant(InferenceContext ctx) {
        for (Attribute a : ctx.node().attributes().values()) {
            switch (a) {
                case Attribute.TensorAttr t -> ctx.outputConstant(0, t.value());
                case Attribute.FloatAttr f -> ctx.outputConstant(0, Tensor.scalar(f.value()));
                case Attribute.IntAttr i -> ctx.outputConstant(0, Tensor.scalar(i.value()));
                case Attribute.FloatsAttr f -> ctx.outputConstant(0, Tensor.ofFloats(new long[] {f.values().length}, f.values()));
                case Attribute.IntsAttr i -> ctx.outputConstant(0, Tensor.ofLongs(new long[] {i.values().length}, i.values()));
                case Attribute.StringAttr s -> ctx.outputConstant(0, Tensor.ofStrings(Shape.SCALAR, s.value()));
                case Attribute.StringsAttr s -> ctx.outputConstant(0,
                        Tensor.ofStrings(Shape.of(s.values().size()), s.values().toArray(new String[0])));
                default -> throw ctx.fail("Constant has unsupported attribute '" + a.name() + "'");
            }
            return;
        }
        throw ctx.fail("Constant has no value attribute");
    }

    private static void constantOfShape(InferenceContext ctx) {
        Tensor v = ctx.node().attrTensor("value");
        DType dt = v == null ? DType.FLOAT : v.dtype();
        Tensor s = ctx.constant(0);
        if (s != null) {
            ctx.output(0, ValueType.tensor(dt, Shape.of(s.toLongArray())));
        } else {
            TensorType st = ctx.tensorType(0);
            SymbolicShape ss = st != null && st.shape() != null && st.shape().rank() == 1 && st.shape().dim(0).isKnown()
                    ? SymbolicShape.unknownDims((int) st.shape().dim(0).value()) : null;
            ctx.output(0, ValueType.tensor(dt, ss));
        }
    }

    private static void reshape(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        Tensor target = ctx.constant(1);
        if (target == null) {
            TensorType st = ctx.tensorType(1);
            SymbolicShape ss = st != null && st.shape() != null && st.shape().rank() == 1 && st.shape().dim(0).isKnown()
                    ? SymbolicShape.unknownDims((int) st.shape().dim(0).value()) : null;
            ctx.output(0, ValueType.tensor(t.dtype(), ss));
            return;
        }
        long[] tgt = target.toLongArray();
        boolean allowZero = ctx.node().attrInt("allowzero", 0) != 0;
        if (t.shape() != null && t.shape().isKnown()) {
            try {
                ctx.output(0, ValueType.tensor(t.dtype(), Shape.of(Shapes.reshape(t.shape().toShape().dims(), tgt, allowZero))));
            } catch (IllegalArgumentException e) {
                throw ctx.fail(e.getMessage());
            }
            return;
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < tgt.length; i++) {
            if (tgt[i] == 0 && !allowZero && t.shape() != null && i < t.shape().rank()) {
                out.add(t.shape().dim(i));
            } else if (tgt[i] > 0 || (tgt[i] == 0 && allowZero)) {
                out.add(Dim.of(tgt[i]));
            } else {
                out.add(Dim.UNKNOWN);
            }
        }
        ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.of(out)));
    }

    private static void flatten(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        if (t.shape() == null) {
            ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.unknownDims(2)));
            return;
        }
        int rank = t.shape().rank();
        long axis = ctx.node().attrInt("axis", 1);
        int a = (int) (axis < 0 ? axis + rank : axis);
        if (a < 0 || a > rank) {
            throw ctx.fail("Flatten axis " + axis + " out of range for rank " + rank);
        }
        ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.of(product(t.shape(), 0, a), product(t.shape(), a, rank))));
    }

    static Dim product(SymbolicShape s, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) {
            Dim d = s.dim(i);
            if (!d.isKnown()) {
                return to - from == 1 ? d : Dim.UNKNOWN;
            }
            n *= d.value();
        }
        return Dim.of(n);
    }

    private static long[] axesFrom(InferenceContext ctx, int inputIndex) {
        if (ctx.opset() >= 13) {
            if (!ctx.hasInput(inputIndex)) {
                return null;
            }
            Tensor a = ctx.constant(inputIndex);
            return a == null ? new long[] {Long.MIN_VALUE} : a.toLongArray();
        }
        return ctx.node().attrInts("axes");
    }

    private static void squeeze(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        long[] axes = axesFrom(ctx, 1);
        if (t.shape() == null || (axes != null && axes.length == 1 && axes[0] == Long.MIN_VALUE)) {
            ctx.output(0, ValueType.tensor(t.dtype()));
            return;
        }
        SymbolicShape s = t.shape();
        boolean[] drop = new boolean[s.rank()];
        if (axes == null) {
            for (int i = 0; i < s.rank(); i++) {
                if (!s.dim(i).isKnown()) {
                    ctx.output(0, ValueType.tensor(t.dtype()));
                    return;
                }
                drop[i] = s.dim(i).value() == 1;
            }
        } else {
            try {
                for (int a : Shapes.normalizeAxes(axes, s.rank())) {
                    drop[a] = true;
                }
            } catch (IllegalArgumentException e) {
                throw ctx.fail(e.getMessage());
            }
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            if (!drop[i]) {
                out.add(s.dim(i));
            }
        }
        ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.of(out)));
    }

    private static void unsqueeze(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        long[] axes = axesFrom(ctx, 1);
        if (t.shape() == null || axes == null || (axes.length == 1 && axes[0] == Long.MIN_VALUE)) {
            ctx.output(0, ValueType.tensor(t.dtype()));
            return;
        }
        int outRank = t.shape().rank() + axes.length;
        boolean[] inserted = new boolean[outRank];
        try {
            for (int a : Shapes.normalizeAxes(axes, outRank)) {
                if (inserted[a]) {
                    throw ctx.fail("Unsqueeze axis " + a + " repeated");
                }
                inserted[a] = true;
            }
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
        List<Dim> out = new ArrayList<>();
        int j = 0;
        for (int i = 0; i < outRank; i++) {
            out.add(inserted[i] ? Dim.of(1) : t.shape().dim(j++));
        }
        ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.of(out)));
    }

    private static void transpose(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        if (t.shape() == null) {
            ctx.output(0, ValueType.tensor(t.dtype()));
            return;
        }
        int rank = t.shape().rank();
        long[] perm = ctx.node().attrInts("perm");
        Dim[] out = new Dim[rank];
        if (perm != null && perm.length != rank) {
            throw ctx.fail("Transpose perm " + Arrays.toString(perm) + " does not fit rank " + rank);
        }
        for (int i = 0; i < rank; i++) {
            int p = perm == null ? rank - 1 - i : (int) perm[i];
            if (perm != null && (p != perm[i] || p < 0 || p >= rank)) {
                throw ctx.fail("Transpose perm " + Arrays.toString(perm) + " does not fit rank " + rank);
            }
            out[i] = t.shape().dim(p);
        }
        ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.of(out)));
    }

    private static void concat(InferenceContext ctx) {
        TensorType first = null;
        for (int i = 0; i < ctx.inputCount(); i++) {
            TensorType t = ctx.tensorType(i);
            if (t == null || t.shape() == null) {
                if (first == null && t != null) {
                    first = t;
                }
                if (t != null) {
                    ctx.output(0, ValueType.tensor(t.dtype()));
                }
                return;
            }
            if (first == null) {
                first = t;
            }
        }
        if (first == null) {
            return;
        }
        int rank = first.shape().rank();
        long axisAttr = ctx.node().attrInt("axis", ctx.opset() < 4 ? 1 : Long.MIN_VALUE);
        if (axisAttr == Long.MIN_VALUE) {
            throw ctx.fail("Concat requires the 'axis' attribute");
        }
        int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank) {
            throw ctx.fail("Concat axis " + axisAttr + " out of range for rank " + rank);
        }
        List<Dim> out = first.shape().toList();
        long sum = 0;
        boolean known = true;
        for (int i = 0; i < ctx.inputCount(); i++) {
            SymbolicShape s = ctx.tensorType(i).shape();
            if (s.rank() != rank) {
                throw ctx.fail("Concat inputs have ranks " + rank + " and " + s.rank());
            }
            Dim d = s.dim(axis);
            if (d.isKnown()) {
                sum += d.value();
            } else {
                known = false;
            }
        }
        out.set(axis, known ? Dim.of(sum) : Dim.UNKNOWN);
        ctx.output(0, ValueType.tensor(first.dtype(), SymbolicShape.of(out)));
    }

    private static void gather(InferenceContext ctx) {
        TensorType data = ctx.tensorType(0);
        TensorType idx = ctx.tensorType(1);
        if (data == null) {
            return;
        }
        if (data.shape() == null || idx == null || idx.shape() == null) {
            ctx.output(0, ValueType.tensor(data.dtype()));
            return;
        }
        int rank = data.shape().rank();
        long axisAttr = ctx.node().attrInt("axis", 0);
        int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank) {
            throw ctx.fail("Gather axis " + axisAttr + " out of range for rank " + rank);
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < axis; i++) {
            out.add(data.shape().dim(i));
        }
        out.addAll(idx.shape().dims());
        for (int i = axis + 1; i < rank; i++) {
            out.add(data.shape().dim(i));
        }
        ctx.output(0, ValueType.tensor(data.dtype(), SymbolicShape.of(out)));
    }

    private static void expand(InferenceContext ctx) {
        TensorType t = ctx.tensorType(0);
        if (t == null) {
            return;
        }
        Tensor s = ctx.constant(1);
        TensorType st = ctx.tensorType(1);
        if (s == null && t.shape() != null && st != null && st.shape() != null && st.shape().rank() == 1
                && st.shape().dim(0).isKnown()) {
            // The target's values are unknown but its length fixes the rank; an input dimension
            // other than 1 survives, since the target can only match it or be 1 there.
            int rank = Math.max((int) st.shape().dim(0).value(), t.shape().rank());
            Dim[] out = new Dim[rank];
            for (int i = 0; i < rank; i++) {
                int j = i - (rank - t.shape().rank());
                Dim d = j >= 0 ? t.shape().dim(j) : null;
                out[i] = d != null && d.isKnown() && d.value() != 1 ? d : Dim.UNKNOWN;
            }
            ctx.output(0, ValueType.tensor(t.dtype(), SymbolicShape.of(out)));
            return;
        }
        if (s == null || t.shape() == null) {
            ctx.output(0, ValueType.tensor(t.dtype()));
            return;
        }
        try {
            ctx.output(0, ValueType.tensor(t.dtype(), Shapes.broadcast(t.shape(), SymbolicShape.known(s.toLongArray()))));
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
    }
}

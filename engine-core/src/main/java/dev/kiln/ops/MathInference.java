package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Inference for matrix products, Einsum, Det and reductions. */
final class MathInference {
    private MathInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(MathInference::matMul, "MatMul", "MatMulInteger", "QLinearMatMul");
        r.onnx(MathInference::gemm, "Gemm");
        r.onnx(MathInference::reduce, "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin");
        r.onnx(MathInference::einsum, "Einsum");
        r.onnx(MathInference::det, "Det");
        r.onnx(ElementwiseInference::sameAsInput0, "CumProd");
    }

    private static void einsum(InferenceContext ctx) {
        TensorType first = ctx.tensorType(0);
        if (first == null) {
            return;
        }
        int n = ctx.inputCount();
        int[] ranks = new int[n];
        for (int i = 0; i < n; i++) {
            TensorType t = ctx.tensorType(i);
            if (t == null || t.shape() == null) {
                ctx.output(0, ValueType.tensor(first.dtype()));
                return;
            }
            ranks[i] = t.shape().rank();
        }
        EinsumEquation.Labels labels;
        try {
            labels = EinsumEquation.parse(ctx.node().attrString("equation", "")).resolve(ranks);
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
        // A label's size is any input's size other than 1 (those stretch), else 1.
        Dim[] size = new Dim[labels.labelCount()];
        for (int i = 0; i < n; i++) {
            int[] ax = labels.inputAxes()[i];
            for (int d = 0; d < ax.length; d++) {
                Dim dim = ctx.tensorType(i).shape().dim(d);
                Dim cur = size[ax[d]];
                if (cur == null || cur.isKnown() && cur.value() == 1 || dim.isKnown() && dim.value() != 1) {
                    size[ax[d]] = dim;
                } else if (!cur.isKnown() && !(dim.isKnown() && dim.value() == 1) && !cur.equals(dim)) {
                    size[ax[d]] = Dim.UNKNOWN;
                }
            }
        }
        List<Dim> out = new ArrayList<>();
        for (int l : labels.output()) {
            out.add(size[l]);
        }
        ctx.output(0, ValueType.tensor(first.dtype(), SymbolicShape.of(out)));
    }

    private static void det(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        if (x.shape().rank() < 2) {
            throw ctx.fail("Det input must be [*, M, M], got " + x.shape());
        }
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(x.shape().dims().subList(0, x.shape().rank() - 2))));
    }

    static void matMul(InferenceContext ctx) {
        boolean q = ctx.node().opType().equals("QLinearMatMul");
        TensorType a = ctx.tensorType(0);
        TensorType b = ctx.tensorType(q ? 3 : 1);
        if (a == null || b == null) {
            return;
        }
        DType out = switch (ctx.node().opType()) {
            case "MatMulInteger" -> DType.INT32;
            case "QLinearMatMul" -> ctx.tensorType(7) != null ? ctx.tensorType(7).dtype() : a.dtype();
            default -> a.dtype();
        };
        if (a.shape() == null || b.shape() == null) {
            ctx.output(0, ValueType.tensor(out));
            return;
        }
        SymbolicShape sa = a.shape();
        SymbolicShape sb = b.shape();
        if (sa.rank() == 0 || sb.rank() == 0) {
            throw ctx.fail("MatMul inputs must not be scalars");
        }
        boolean vecA = sa.rank() == 1;
        boolean vecB = sb.rank() == 1;
        SymbolicShape ma = vecA ? SymbolicShape.of(Dim.of(1), sa.dim(0)) : sa;
        SymbolicShape mb = vecB ? SymbolicShape.of(sb.dim(0), Dim.of(1)) : sb;
        Dim k1 = ma.dim(-1);
        Dim k2 = mb.dim(-2);
        if (k1.isKnown() && k2.isKnown() && k1.value() != k2.value()) {
            throw ctx.fail("MatMul inner dimensions differ: " + sa + " x " + sb);
        }
        SymbolicShape batch;
        try {
            batch = Shapes.broadcast(prefix(ma), prefix(mb));
        } catch (IllegalArgumentException e) {
            throw ctx.fail(e.getMessage());
        }
        List<Dim> dims = new ArrayList<>(batch.dims());
        if (!vecA) {
            dims.add(ma.dim(-2));
        }
        if (!vecB) {
            dims.add(mb.dim(-1));
        }
        ctx.output(0, ValueType.tensor(out, SymbolicShape.of(dims)));
    }

    private static SymbolicShape prefix(SymbolicShape s) {
        return SymbolicShape.of(s.dims().subList(0, s.rank() - 2));
    }

    static void gemm(InferenceContext ctx) {
        TensorType a = ctx.tensorType(0);
        TensorType b = ctx.tensorType(1);
        if (a == null) {
            return;
        }
        if (a.shape() == null || b == null || b.shape() == null) {
            ctx.output(0, ValueType.tensor(a.dtype(), SymbolicShape.unknownDims(2)));
            return;
        }
        if (a.shape().rank() != 2 || b.shape().rank() != 2) {
            throw ctx.fail("Gemm inputs must be 2-D, got " + a.shape() + " and " + b.shape());
        }
        boolean ta = ctx.node().attrInt("transA", 0) != 0;
        boolean tb = ctx.node().attrInt("transB", 0) != 0;
        Dim m = a.shape().dim(ta ? 1 : 0);
        Dim n = b.shape().dim(tb ? 0 : 1);
        ctx.output(0, ValueType.tensor(a.dtype(), SymbolicShape.of(m, n)));
    }

    private static void reduce(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        String op = ctx.node().opType();
        boolean arg = op.startsWith("Arg");
        DType dt = arg ? DType.INT64 : x.dtype();
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(dt));
            return;
        }
        int rank = x.shape().rank();
        boolean keep = ctx.node().attrInt("keepdims", 1) != 0;
        long[] axes;
        if (arg) {
            axes = new long[] {ctx.node().attrInt("axis", 0)};
        } else if (axesAreInput(op, ctx.opset())) {
            if (ctx.hasInput(1)) {
                Tensor a = ctx.constant(1);
                if (a == null) {
                    ctx.output(0, ValueType.tensor(dt, keep ? SymbolicShape.unknownDims(rank) : null));
                    return;
                }
                axes = a.toLongArray();
            } else {
                axes = null;
            }
        } else {
            axes = ctx.node().attrInts("axes");
        }
        boolean noopEmpty = ctx.node().attrInt("noop_with_empty_axes", 0) != 0;
        boolean[] reduced = new boolean[rank];
        if (axes == null || axes.length == 0) {
            if (noopEmpty) {
                ctx.output(0, x);
                return;
            }
            java.util.Arrays.fill(reduced, true);
        } else {
            try {
                for (int a : Shapes.normalizeAxes(axes, rank)) {
                    reduced[a] = true;
                }
            } catch (IllegalArgumentException e) {
                throw ctx.fail(e.getMessage());
            }
        }
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                out.add(x.shape().dim(i));
            } else if (keep) {
                out.add(Dim.of(1));
            }
        }
        ctx.output(0, ValueType.tensor(dt, SymbolicShape.of(out)));
    }

    /** Since opset 13 ReduceSum, and since 18 every reduction, takes its axes as an input. */
    static boolean axesAreInput(String op, int opset) {
        return op.equals("ReduceSum") ? opset >= 13 : opset >= 18;
    }
}

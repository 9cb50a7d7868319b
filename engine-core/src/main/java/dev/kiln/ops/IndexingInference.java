package dev.kiln.ops;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference for operators that select or place elements by index: GatherElements, GatherND,
 * the scatters, Compress, NonZero, OneHot, TopK and Unique.
 */
final class IndexingInference {
    private IndexingInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(IndexingInference::gatherElements, "GatherElements");
        r.onnx(IndexingInference::gatherNd, "GatherND");
        r.onnx(ElementwiseInference::sameAsInput0, "ScatterElements", "Scatter", "ScatterND", "TensorScatter");
        r.onnx(IndexingInference::compress, "Compress");
        r.onnx(IndexingInference::nonZero, "NonZero");
        r.onnx(IndexingInference::oneHot, "OneHot");
        r.onnx(IndexingInference::topK, "TopK");
        r.onnx(IndexingInference::unique, "Unique");
    }

    private static void gatherElements(InferenceContext ctx) {
        TensorType data = ctx.tensorType(0);
        TensorType idx = ctx.tensorType(1);
        if (data != null) {
            ctx.output(0, ValueType.tensor(data.dtype(), idx == null ? null : idx.shape()));
        }
    }

    private static void gatherNd(InferenceContext ctx) {
        TensorType data = ctx.tensorType(0);
        TensorType idx = ctx.tensorType(1);
        if (data == null) {
            return;
        }
        if (data.shape() == null || idx == null || idx.shape() == null || !idx.shape().dim(-1).isKnown()) {
            ctx.output(0, ValueType.tensor(data.dtype()));
            return;
        }
        int r = data.shape().rank();
        int q = idx.shape().rank();
        long batch = ctx.node().attrInt("batch_dims", 0);
        long depth = idx.shape().dim(-1).value();
        if (q < 1 || batch < 0 || batch >= Math.min(q, r) || depth < 1 || depth > r - batch) {
            throw ctx.fail("GatherND indices " + idx.shape() + " and batch_dims " + batch + " do not fit data "
                    + data.shape());
        }
        List<Dim> out = new ArrayList<>(idx.shape().dims().subList(0, q - 1));
        out.addAll(data.shape().dims().subList((int) (batch + depth), r));
        ctx.output(0, ValueType.tensor(data.dtype(), SymbolicShape.of(out)));
    }

    private static void compress(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (ctx.node().attribute("axis") == null) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.unknownDims(1)));
        } else if (x.shape() != null) {
            int rank = x.shape().rank();
            long axis = ctx.node().attrInt("axis", 0);
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) {
                throw ctx.fail("Compress axis " + axis + " out of range for rank " + rank);
            }
            ctx.output(0, ValueType.tensor(x.dtype(), x.shape().with((int) a, Dim.UNKNOWN)));
        } else {
            ctx.output(0, ValueType.tensor(x.dtype()));
        }
    }

    private static void nonZero(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        Dim rank = x == null || x.shape() == null ? Dim.UNKNOWN : Dim.of(x.shape().rank());
        ctx.output(0, ValueType.tensor(DType.INT64, SymbolicShape.of(rank, Dim.UNKNOWN)));
    }

    private static void oneHot(InferenceContext ctx) {
        TensorType idx = ctx.tensorType(0);
        TensorType values = ctx.tensorType(2);
        if (values == null) {
            return;
        }
        if (idx == null || idx.shape() == null) {
            ctx.output(0, ValueType.tensor(values.dtype()));
            return;
        }
        int rank = idx.shape().rank() + 1;
        long axis = ctx.node().attrInt("axis", -1);
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw ctx.fail("OneHot axis " + axis + " out of range for output rank " + rank);
        }
        Tensor depth = ctx.constant(1);
        List<Dim> out = idx.shape().toList();
        long d = depth != null && depth.size() == 1 ? (long) depth.getDouble(0) : -1;
        out.add((int) a, d >= 1 ? Dim.of(d) : Dim.UNKNOWN);
        ctx.output(0, ValueType.tensor(values.dtype(), SymbolicShape.of(out)));
    }

    private static void topK(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (x.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            ctx.output(1, ValueType.tensor(DType.INT64));
            return;
        }
        int rank = x.shape().rank();
        long axis = ctx.node().attrInt("axis", -1);
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw ctx.fail("TopK axis " + axis + " out of range for rank " + rank);
        }
        Dim k;
        if (ctx.opset() < 10) {
            k = Dim.of(Math.max(0, ctx.node().attrInt("k", 0)));
        } else {
            Tensor kt = ctx.constant(1);
            k = kt != null && kt.size() == 1 && kt.getLong(0) >= 0 ? Dim.of(kt.getLong(0)) : Dim.UNKNOWN;
        }
        SymbolicShape out = x.shape().with((int) a, k);
        ctx.output(0, ValueType.tensor(x.dtype(), out));
        ctx.output(1, ValueType.tensor(DType.INT64, out));
    }

    private static void unique(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        SymbolicShape y;
        Dim items = Dim.UNKNOWN;
        if (ctx.node().attribute("axis") == null) {
            y = SymbolicShape.unknownDims(1);
            if (x.shape() != null) {
                items = TensorInference.product(x.shape(), 0, x.shape().rank());
            }
        } else if (x.shape() != null) {
            int rank = x.shape().rank();
            long axis = ctx.node().attrInt("axis", 0);
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) {
                throw ctx.fail("Unique axis " + axis + " out of range for rank " + rank);
            }
            y = x.shape().with((int) a, Dim.UNKNOWN);
            items = x.shape().dim((int) a);
        } else {
            y = null;
        }
        ctx.output(0, ValueType.tensor(x.dtype(), y));
        ctx.output(1, ValueType.tensor(DType.INT64, SymbolicShape.unknownDims(1)));
        ctx.output(2, ValueType.tensor(DType.INT64, SymbolicShape.of(items)));
        ctx.output(3, ValueType.tensor(DType.INT64, SymbolicShape.unknownDims(1)));
    }
}

package dev.kiln.ops;

import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Inference for the {@code ai.onnx.ml} operators Kiln runs, and TfIdfVectorizer. */
final class MlInference {
    private static final String ML = "ai.onnx.ml";

    private MlInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.add(ML, "ArrayFeatureExtractor", MlInference::arrayFeatureExtractor);
        r.add(ML, "Binarizer", ElementwiseInference::sameAsInput0);
        r.add(ML, "LabelEncoder", MlInference::labelEncoder);
        r.add(ML, "TreeEnsemble", MlInference::treeEnsemble);
        r.onnx(MlInference::tfIdfVectorizer, "TfIdfVectorizer");
    }

    private static void arrayFeatureExtractor(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        TensorType idx = ctx.tensorType(1);
        if (x == null) {
            return;
        }
        if (x.shape() == null || idx == null || idx.shape() == null) {
            ctx.output(0, ValueType.tensor(x.dtype()));
            return;
        }
        Dim count = TensorInference.product(idx.shape(), 0, idx.shape().rank());
        List<Dim> dims = x.shape().rank() <= 1 ? new ArrayList<>(List.of(Dim.of(1), Dim.UNKNOWN))
                : new ArrayList<>(x.shape().dims());
        dims.set(dims.size() - 1, count);
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
    }

    private static void labelEncoder(InferenceContext ctx) {
        Node n = ctx.node();
        TensorType x = ctx.tensorType(0);
        DType out;
        if (ctx.opset() < 2) {
            out = x == null ? null : x.dtype() == DType.STRING ? DType.INT64 : DType.STRING;
        } else {
            Tensor values = n.attrTensor("values_tensor");
            out = values != null ? values.dtype() : n.attrStrings("values_strings") != null ? DType.STRING
                    : n.attrInts("values_int64s") != null ? DType.INT64
                    : n.attrFloats("values_floats") != null ? DType.FLOAT : null;
        }
        if (out != null) {
            ctx.output(0, ValueType.tensor(out, x == null ? null : x.shape()));
        }
    }

    private static void treeEnsemble(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        Dim rows = x.shape() != null && x.shape().rank() == 2 ? x.shape().dim(0) : Dim.UNKNOWN;
        ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(rows, Dim.of(ctx.node().attrInt("n_targets", 1)))));
    }

    private static void tfIdfVectorizer(InferenceContext ctx) {
        long[] indexes = ctx.node().attrInts("ngram_indexes");
        TensorType x = ctx.tensorType(0);
        if (indexes == null) {
            return;
        }
        long width = 0;
        for (long i : indexes) {
            width = Math.max(width, i + 1);
        }
        if (x == null || x.shape() == null) {
            ctx.output(0, ValueType.tensor(DType.FLOAT));
        } else if (x.shape().rank() == 2) {
            ctx.output(0, ValueType.tensor(DType.FLOAT, SymbolicShape.of(x.shape().dim(0), Dim.of(width))));
        } else {
            ctx.output(0, ValueType.tensor(DType.FLOAT, SymbolicShape.of(Dim.of(width))));
        }
    }
}

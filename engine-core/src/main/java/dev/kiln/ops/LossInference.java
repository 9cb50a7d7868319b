package dev.kiln.ops;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Inference for the losses: the per-sample loss has the labels' shape, reduced losses are scalars. */
final class LossInference {
    private LossInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(LossInference::loss, "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss");
    }

    private static void loss(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        if (!ctx.node().attrString("reduction", "mean").equals("none")) {
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of()));
        } else if (x.shape() != null && x.shape().rank() >= 2) {
            List<Dim> dims = new ArrayList<>(x.shape().dims());
            dims.remove(1);
            ctx.output(0, ValueType.tensor(x.dtype(), SymbolicShape.of(dims)));
        } else {
            ctx.output(0, ValueType.tensor(x.dtype()));
        }
        if (ctx.node().outputs().size() > 1) {
            ctx.output(1, x);
        }
    }
}

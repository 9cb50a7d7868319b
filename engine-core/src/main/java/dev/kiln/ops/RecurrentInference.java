package dev.kiln.ops;

import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import dev.kiln.tensor.ValueType.TensorType;

/** Inference for RNN, GRU and LSTM: the sequence output and the final states, in either layout. */
final class RecurrentInference {
    private RecurrentInference() {
    }

    static void register(OpRegistry.Registrar r) {
        r.onnx(RecurrentInference::recurrent, "RNN", "GRU", "LSTM");
    }

    private static void recurrent(InferenceContext ctx) {
        TensorType x = ctx.tensorType(0);
        if (x == null) {
            return;
        }
        TensorType r = ctx.tensorType(2);
        long hiddenAttr = ctx.node().attrInt("hidden_size", 0);
        Dim hidden = hiddenAttr > 0 ? Dim.of(hiddenAttr)
                : r != null && r.shape() != null && r.shape().rank() == 3 ? r.shape().dim(2) : Dim.UNKNOWN;
        Dim dirs = Dim.of(ctx.node().attrString("direction", "forward").equals("bidirectional") ? 2 : 1);
        if (x.shape() == null || x.shape().rank() != 3) {
            for (int i = 0; i < ctx.node().outputs().size(); i++) {
                ctx.output(i, ValueType.tensor(x.dtype()));
            }
            return;
        }
        boolean batchMajor = ctx.node().attrInt("layout", 0) != 0;
        Dim seq = x.shape().dim(batchMajor ? 1 : 0);
        Dim batch = x.shape().dim(batchMajor ? 0 : 1);
        ctx.output(0, ValueType.tensor(x.dtype(), batchMajor ? SymbolicShape.of(batch, seq, dirs, hidden)
                : SymbolicShape.of(seq, dirs, batch, hidden)));
        ValueType state = ValueType.tensor(x.dtype(), batchMajor ? SymbolicShape.of(batch, dirs, hidden)
                : SymbolicShape.of(dirs, batch, hidden));
        ctx.output(1, state);
        if (ctx.node().opType().equals("LSTM")) {
            ctx.output(2, state);
        }
    }
}

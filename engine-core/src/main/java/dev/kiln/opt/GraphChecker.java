package dev.kiln.opt;

import dev.kiln.graph.Graph;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.ValueType;
import java.util.Map;

/**
 * Checks a graph after a pass: well formed (the analysis re-ran without error, so every value is
 * defined once, every read is defined and the graph is acyclic) and the graph outputs' types
 * unchanged. Operators no backend runs are reported later, with the unsupported ones.
 */
final class GraphChecker {
    private GraphChecker() {
    }

    static void check(String pass, Graph g, Map<String, ValueType> outputTypesBefore, Analysis after) {
        for (ValueInfo o : g.outputs()) {
            ValueType before = outputTypesBefore.get(o.name());
            ValueType now = after.types().get(o.name());
            if (before instanceof ValueType.TensorType b && now instanceof ValueType.TensorType a) {
                if (a.dtype() != b.dtype() || !compatible(a.shape(), b.shape())) {
                    fail(pass, "graph output '" + o.name() + "' changed type from " + b + " to " + a);
                }
            }
        }
    }

    private static boolean compatible(SymbolicShape a, SymbolicShape b) {
        if (a == null || b == null) {
            return true;
        }
        if (a.rank() != b.rank()) {
            return false;
        }
        for (int i = 0; i < a.rank(); i++) {
            if (a.dim(i).isKnown() && b.dim(i).isKnown() && a.dim(i).value() != b.dim(i).value()) {
                return false;
            }
        }
        return true;
    }

    private static void fail(String pass, String why) {
        throw new IllegalStateException("optimizer pass '" + pass + "' produced an invalid graph: " + why);
    }
}

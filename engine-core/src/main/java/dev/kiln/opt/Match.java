package dev.kiln.opt;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.List;

/** Small questions rules ask while matching a pattern; each returns {@code null} or false when the answer is no. */
public final class Match {
    private Match() {
    }

    /** The producer of {@code value} when it is an ONNX {@code opType} node, else {@code null}. */
    public static Node producer(OptGraph g, String value, String opType) {
        Node p = g.producer(value);
        return p != null && p.domain().isEmpty() && p.opType().equals(opType) ? p : null;
    }

    /** The producer of {@code value} when it is an ONNX {@code opType} node whose output only one node reads. */
    public static Node soleProducer(OptGraph g, String value, String opType) {
        return g.singleUse(value) ? producer(g, value, opType) : null;
    }

    /** The only node reading {@code value} when it is an ONNX {@code opType} node, else {@code null}. */
    public static Node soleConsumer(OptGraph g, String value, String opType) {
        if (!g.singleUse(value)) {
            return null;
        }
        Node c = g.consumers(value).get(0);
        return c.domain().isEmpty() && c.opType().equals(opType) ? c : null;
    }

    /** The value of a one-element constant, or {@code null}. */
    public static Double scalar(OptGraph g, String value) {
        Tensor t = g.constant(value);
        if (t == null || t.size() != 1 || !(t.dtype().isFloat() || t.dtype().isInteger())) {
            return null;
        }
        return t.getDouble(0);
    }

    /** True when {@code value} is a one-element constant within a relative {@code 1e-4} of {@code expected}. */
    public static boolean isScalar(OptGraph g, String value, double expected) {
        Double v = scalar(g, value);
        return v != null && Math.abs(v - expected) <= 1e-4 * Math.max(1, Math.abs(expected));
    }

    /** For a node with two inputs, the one that is not {@code operand}; {@code null} when neither or both are. */
    public static String other(Node n, String operand) {
        if (n.inputs().size() != 2) {
            return null;
        }
        if (n.input(0).equals(operand)) {
            return n.input(1).equals(operand) ? null : n.input(1);
        }
        return n.input(1).equals(operand) ? n.input(0) : null;
    }

    /**
     * The target type of a Cast whose {@code to} is a type code; {@code null} for opset 1's
     * type name, which the rewrites leave alone.
     */
    public static DType castTarget(Node cast) {
        return cast.attribute("to") instanceof Attribute.IntAttr a ? DType.fromCode((int) a.value()) : null;
    }

    /** True when every value is a float32 tensor. */
    public static boolean isFloat(OptGraph g, String... values) {
        for (String v : values) {
            if (g.dtype(v) != DType.FLOAT) {
                return false;
            }
        }
        return true;
    }

    /** True when both shapes are certainly equal: same rank, each dim known and equal or the same symbol. */
    public static boolean sameShape(SymbolicShape a, SymbolicShape b) {
        if (a == null || b == null || a.rank() != b.rank()) {
            return false;
        }
        for (int i = 0; i < a.rank(); i++) {
            if (!sameDim(a.dim(i), b.dim(i))) {
                return false;
            }
        }
        return true;
    }

    /** True when both dims are certainly equal (known and equal, or the same symbol). */
    public static boolean sameDim(Dim a, Dim b) {
        return (a.isKnown() && b.isKnown() && a.value() == b.value())
                || (a.isSymbol() && b.isSymbol() && a.symbolName().equals(b.symbolName()));
    }

    /**
     * The axes of a reduction, squeeze or unsqueeze: the {@code axes} attribute, or the constant
     * input {@code input} where the opset moved it there; {@code null} when unknown or absent.
     */
    public static long[] axes(OptGraph g, Node n, int input) {
        long[] attr = n.attrInts("axes");
        if (attr != null) {
            return attr;
        }
        Tensor t = n.hasInput(input) ? g.constant(n.input(input)) : null;
        return t == null ? null : t.toLongArray();
    }

    /** A node of the {@code kiln} domain. */
    public static Node kiln(String name, String opType, List<String> inputs, List<String> outputs, List<Attribute> attrs) {
        return new Node(name, opType, OptGraph.KILN_DOMAIN, inputs, outputs, attrs);
    }
}

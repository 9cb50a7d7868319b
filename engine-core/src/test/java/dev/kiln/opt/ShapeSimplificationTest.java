package dev.kiln.opt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.compile.Compiler;
import dev.kiln.graph.Node;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shape computations over partly known shapes. */
class ShapeSimplificationTest {

    /** {@code Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), Unsqueeze(Gather(Shape(x), 1)), [h], [d]))}. */
    private static TestGraph headSplit(String dim1) {
        return new TestGraph(11).input("x", "batch", dim1, 384)
                .node("Shape", "x", "s").init("i0", dev.kiln.tensor.Tensor.scalar(0L))
                .init("i1", dev.kiln.tensor.Tensor.scalar(1L))
                .node2("Gather", "s", "i0", "b", "axis", 0L).node2("Gather", "s", "i1", "t", "axis", 0L)
                .node("Unsqueeze", "b", "bu", "axes", new long[] {0}).node("Unsqueeze", "t", "tu", "axes", new long[] {0})
                .longs("h", 12).longs("d", 32)
                .node("Concat", List.of("bu", "tu", "h", "d"), List.of("shape"), "axis", 0L)
                .node2("Reshape", "x", "shape", "y").output("y");
    }

    @Test
    void reshapeTargetBuiltFromTheInputsOwnShapeBecomesConstant() {
        Compiler.Optimized o = headSplit("seq").optimize("shape-simplification", "dead-code");
        assertEquals(Map.of("Reshape", 1), TestGraph.ops(o.graph()));
        Node r = TestGraph.only(o.graph(), "Reshape");
        assertEquals("[0, 0, 12, 32]", TestGraph.str(o.graph().initializers().get(r.input(1)).toLongArray()));
        assertEquals("float[batch,seq,12,32]", o.analysis().types().get("y").toString());
    }

    @Test
    void anUnknownDimIsCopiedWhenItComesFromTheSameTensor() {
        Compiler.Optimized o = headSplit("").optimize("shape-simplification", "dead-code");
        Node r = TestGraph.only(o.graph(), "Reshape");
        assertEquals("[0, 0, 12, 32]", TestGraph.str(o.graph().initializers().get(r.input(1)).toLongArray()));
    }

    @Test
    void theOneDimLeftIsInferred() {
        TestGraph t = new TestGraph(11).input("x", "batch", "seq", 384).input("other", "n")
                .node("Shape", "other", "s").longs("tail", 12, 32)
                .node("Concat", List.of("s", "tail"), List.of("shape"), "axis", 0L)
                .node2("Reshape", "x", "shape", "y").output("y");
        Compiler.Optimized o = t.optimize("shape-simplification");
        Node r = TestGraph.only(o.graph(), "Reshape");
        assertEquals("[-1, 12, 32]", TestGraph.str(o.graph().initializers().get(r.input(1)).toLongArray()));
    }

    @Test
    void aKnownDimPickedFromAPartlySymbolicShapeFolds() {
        TestGraph t = new TestGraph(11).input("x", "batch", 384).node("Shape", "x", "s")
                .init("i", dev.kiln.tensor.Tensor.scalar(1L)).node2("Gather", "s", "i", "n", "axis", 0L)
                .node("Unsqueeze", "n", "y", "axes", new long[] {0}).output("y");
        Compiler.Optimized o = t.optimize("shape-simplification", "constant-folding", "dead-code");
        assertEquals(Map.of(), TestGraph.ops(o.graph()));
        assertEquals("[384]", TestGraph.str(o.graph().initializers().get("y").toLongArray()));
    }

    @Test
    void aTargetWithTwoUnresolvedDimsStays() {
        TestGraph t = new TestGraph(11).input("x", "batch", "seq", 384).input("other", "a", "b")
                .node("Shape", "other", "s").longs("tail", 384)
                .node("Concat", List.of("s", "tail"), List.of("shape"), "axis", 0L)
                .node2("Reshape", "x", "shape", "y").output("y");
        Compiler.Optimized o = t.optimize("shape-simplification");
        assertEquals(Map.of(), o.reports().get(0).rewrites());
    }
}

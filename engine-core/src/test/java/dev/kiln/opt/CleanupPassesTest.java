package dev.kiln.opt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.compile.Compiler;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Constant folding, dead code, common subexpressions and identity removal, before and after. */
class CleanupPassesTest {

    @Test
    void constantFoldingTurnsConstantNodesIntoInitializers() {
        TestGraph t = new TestGraph().input("x", 2).floats("a", new long[] {2}, 1, 2).floats("b", new long[] {2}, 3, 4)
                .node2("Add", "a", "b", "c").node2("Mul", "x", "c", "y").output("y");
        assertEquals(Map.of("Add", 1, "Mul", 1), TestGraph.ops(t.build()));
        Compiler.Optimized o = t.optimize("constant-folding");
        assertEquals(Map.of("Mul", 1), TestGraph.ops(o.graph()));
        Tensor c = o.graph().initializers().get("c");
        assertNotNull(c);
        assertEquals(4f, c.getFloat(0));
        assertEquals(6f, c.getFloat(1));
        assertEquals(Map.of("constant-folding", 1), o.reports().get(0).rewrites());
    }

    @Test
    void constantFoldingResolvesShapesOfKnownInputs() {
        TestGraph t = new TestGraph().input("x", 2, 6).node("Shape", "x", "s").node2("Reshape", "x", "s", "y").output("y");
        Compiler.Optimized o = t.optimize("constant-folding");
        assertEquals(Map.of("Reshape", 1), TestGraph.ops(o.graph()));
        assertEquals("[2, 6]", TestGraph.str(o.graph().initializers().get("s").toLongArray()));
    }

    @Test
    void deadCodeRemovesUnreadNodesAndInitializers() {
        TestGraph t = new TestGraph().input("x", 3).floats("unused", new long[] {3}).floats("w", new long[] {3})
                .node("Relu", "x", "dead").node("Neg", "dead", "dead2").node2("Mul", "x", "w", "y").output("y");
        Compiler.Optimized o = t.optimize("dead-code");
        assertEquals(Map.of("Mul", 1), TestGraph.ops(o.graph()));
        assertEquals(List.of("w"), List.copyOf(o.graph().initializers().keySet()));
    }

    @Test
    void deadCodeLeavesAnUndefinedGraphOutputToTheCompiler() {
        // A graph output nothing defines (a fuzzed model) is the compiler's to report, not a broken rewrite.
        TestGraph t = new TestGraph().input("x", 3).node("Relu", "x", "dead").node("Neg", "x", "y").output("y", "nowhere");
        Compiler.Optimized o = t.optimize("dead-code");
        assertEquals(Map.of("Neg", 1), TestGraph.ops(o.graph()));
    }

    @Test
    void cseMergesEqualNodesButNotRandomOnesOrOutputs() {
        TestGraph t = new TestGraph().input("x", 3)
                .node("Relu", "x", "r1").node("Relu", "x", "r2")
                .node2("Add", "r1", "r2", "s")
                .node("Shape", "s", "sh1").node("Shape", "s", "sh2")
                .node("RandomNormalLike", "x", "n1").node("RandomNormalLike", "x", "n2")
                .node("Neg", "x", "o1").node("Neg", "x", "o2")
                .output("s", "sh1", "sh2", "n1", "n2", "o1", "o2");
        Compiler.Optimized o = t.optimize("cse");
        Map<String, Integer> ops = TestGraph.ops(o.graph());
        assertEquals(1, ops.get("Relu"));
        assertEquals(2, ops.get("RandomNormalLike"), "random draws stay distinct");
        assertEquals(2, ops.get("Neg"), "graph outputs keep their own producers");
        Node add = TestGraph.only(o.graph(), "Add");
        assertEquals(add.input(0), add.input(1));
    }

    @Test
    void identityDropoutNoOpCastAndReshapeAreRemoved() {
        TestGraph t = new TestGraph().input("x", "batch", 4).longs("same", 0, 4)
                .node("Identity", "x", "a").node("Dropout", List.of("a"), List.of("b", ""))
                .node("Cast", "b", "c", "to", (long) DType.FLOAT.code()).node2("Reshape", "c", "same", "d")
                .node("Relu", "d", "y").output("y");
        Compiler.Optimized o = t.optimize("identity-elimination");
        assertEquals(Map.of("Relu", 1), TestGraph.ops(o.graph()));
        assertEquals("x", TestGraph.only(o.graph(), "Relu").input(0));
    }

    @Test
    void anOutputCopiedStraightFromAnInputKeepsItsIdentity() {
        TestGraph t = new TestGraph().input("x", 3).node("Identity", "x", "y").output("y");
        assertEquals(Map.of("Identity", 1), TestGraph.ops(t.optimize("identity-elimination").graph()));
    }

    @Test
    void removingTheProducerOfAGraphOutputRenamesTheNewProducer() {
        TestGraph t = new TestGraph().input("x", 3).node("Relu", "x", "r").node("Identity", "r", "y").output("y");
        Graph g = t.optimize("identity-elimination").graph();
        assertEquals(Map.of("Relu", 1), TestGraph.ops(g));
        assertEquals(List.of("y"), TestGraph.only(g, "Relu").outputs());
    }

    @Test
    void castToAnotherTypeStays() {
        TestGraph t = new TestGraph().input("x", DType.INT64, 3).node("Cast", "x", "y", "to", (long) DType.FLOAT.code())
                .output("y");
        assertTrue(TestGraph.ops(t.optimize("identity-elimination").graph()).containsKey("Cast"));
    }
}

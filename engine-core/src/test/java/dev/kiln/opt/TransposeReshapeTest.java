package dev.kiln.opt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Transpose and reshape cancellation and sinking. */
class TransposeReshapeTest {

    @Test
    void inverseTransposesCancel() {
        Graph g = new TestGraph().input("x", 2, 3, 4)
                .node("Transpose", "x", "a", "perm", new long[] {0, 2, 1})
                .node("Transpose", "a", "b", "perm", new long[] {0, 2, 1})
                .node("Relu", "b", "y").output("y").optimize("transpose-reshape").graph();
        assertEquals(Map.of("Relu", 1), TestGraph.ops(g));
        assertEquals("x", TestGraph.only(g, "Relu").input(0));
    }

    @Test
    void consecutiveTransposesCompose() {
        Graph g = new TestGraph().input("x", 2, 3, 4, 5)
                .node("Transpose", "x", "a", "perm", new long[] {0, 2, 1, 3})
                .node("Transpose", "a", "y", "perm", new long[] {0, 1, 3, 2}).output("y")
                .optimize("transpose-reshape").graph();
        Node t = TestGraph.only(g, "Transpose");
        // y[i] = a[q[i]] = x[p[q[i]]]: p = [0,2,1,3], q = [0,1,3,2] -> [0,2,3,1].
        assertEquals("[0, 2, 3, 1]", TestGraph.str(t.attrInts("perm")));
    }

    @Test
    void transposeSinksThroughAUnaryOpToMeetItsInverse() {
        Graph g = new TestGraph().input("x", 2, 3, 4)
                .node("Transpose", "x", "a", "perm", new long[] {2, 0, 1})
                .node("Sigmoid", "a", "b")
                .node("Transpose", "b", "y", "perm", new long[] {1, 2, 0}).output("y")
                .optimize("transpose-reshape").graph();
        assertEquals(Map.of("Sigmoid", 1), TestGraph.ops(g));
        assertEquals("x", TestGraph.only(g, "Sigmoid").input(0));
    }

    @Test
    void twoEquallyTransposedOperandsShareOneTranspose() {
        Graph g = new TestGraph().input("x", 2, 3).input("z", 2, 3)
                .node("Transpose", "x", "a", "perm", new long[] {1, 0})
                .node("Transpose", "z", "c", "perm", new long[] {1, 0})
                .node2("Add", "a", "c", "y").output("y").optimize("transpose-reshape").graph();
        assertEquals(Map.of("Add", 1, "Transpose", 1), TestGraph.ops(g));
        assertEquals(java.util.List.of("x", "z"), TestGraph.only(g, "Add").inputs());
    }

    @Test
    void reshapeAfterReshapeKeepsTheLastTarget() {
        Graph g = new TestGraph().input("x", "n", 6).longs("s1", -1, 2, 3).longs("s2", -1, 3, 2)
                .node2("Reshape", "x", "s1", "a").node2("Reshape", "a", "s2", "y").output("y")
                .optimize("transpose-reshape").graph();
        Node r = TestGraph.only(g, "Reshape");
        assertEquals("x", r.input(0));
        assertEquals("[-1, 3, 2]", TestGraph.str(g.initializers().get(r.input(1)).toLongArray()));
    }

    @Test
    void twoUnsqueezesBecomeOne() {
        Graph g = new TestGraph(11).input("m", "batch", "seq")
                .node("Unsqueeze", "m", "a", "axes", new long[] {1})
                .node("Unsqueeze", "a", "y", "axes", new long[] {2}).output("y")
                .optimize("transpose-reshape").graph();
        assertEquals("[1, 2]", TestGraph.str(TestGraph.only(g, "Unsqueeze").attrInts("axes")));
    }

    @Test
    void unsqueezesMergeWithAxesAsInputsSinceOpset13() {
        TestGraph t = new TestGraph(13).input("m", "batch", "seq").longs("a0", 0).longs("a1", -1)
                .node2("Unsqueeze", "m", "a0", "a").node2("Unsqueeze", "a", "a1", "y").output("y");
        dev.kiln.compile.Compiler.Optimized o = t.optimize("transpose-reshape");
        Node u = TestGraph.only(o.graph(), "Unsqueeze");
        assertEquals("[0, 3]", TestGraph.str(o.graph().initializers().get(u.input(1)).toLongArray()));
        assertEquals("float[1,batch,seq,1]", o.analysis().types().get("y").toString());
    }
}

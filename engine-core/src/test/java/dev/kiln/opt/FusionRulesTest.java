package dev.kiln.opt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.compile.Compiler;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each fusion rule on the smallest graph that shows it, before and after; the numbers are checked in engine-cpu. */
class FusionRulesTest {

    @Test
    void batchNormFoldsIntoTheConvBefore() {
        TestGraph t = new TestGraph().input("x", 1, 3, 5, 5).floats("w", new long[] {2, 3, 3, 3})
                .floats("scale", new long[] {2}, 2, 4).floats("bias", new long[] {2}, 1, -1)
                .floats("mean", new long[] {2}, 0.5f, 0.25f).floats("var", new long[] {2}, 3, 15)
                .node("Conv", List.of("x", "w"), List.of("c"), "kernel_shape", new long[] {3, 3})
                .node("BatchNormalization", List.of("c", "scale", "bias", "mean", "var"), List.of("y"), "epsilon", 1f)
                .output("y");
        Compiler.Optimized o = t.optimize("conv-batchnorm");
        Node conv = TestGraph.only(o.graph(), "Conv");
        assertEquals(List.of("y"), conv.outputs());
        // a = 2 / sqrt(3 + 1) = 1, so channel 0 keeps its weights and gets bias (0 - 0.5) * 1 + 1 = 0.5.
        Tensor w = o.graph().initializers().get(conv.input(1));
        Tensor b = o.graph().initializers().get(conv.input(2));
        assertEquals(0.1f, w.getFloat(0), 1e-7);
        assertEquals(0.5f, b.getFloat(0), 1e-7);
        // a = 4 / sqrt(16) = 1 too; bias (0 - 0.25) + -1 = -1.25.
        assertEquals(-1.25f, b.getFloat(1), 1e-7);
    }

    @Test
    void perChannelScalesFoldIntoTheConvAndTheBatchNorm() {
        TestGraph t = new TestGraph().input("x", 1, 2, 4, 4).floats("w", new long[] {3, 2, 1, 1}, 1)
                .floats("b", new long[] {3}, 1).floats("s", new long[] {3, 1, 1}, 2, 3, 4)
                .floats("c", new long[] {1, 3, 1, 1}, 10)
                .floats("p", new long[] {3}, 1).floats("q", new long[] {3}, 0)
                .node("Conv", List.of("x", "w", "b"), List.of("y0")).node2("Mul", "y0", "s", "y1")
                .node("BatchNormalization", List.of("y1", "p", "q", "q", "p"), List.of("y2"))
                .node2("Mul", "s", "y2", "y3").node2("Add", "y3", "c", "y").output("y");
        Compiler.Optimized o = t.optimize("conv-batchnorm", "epilogue");
        assertEquals(Map.of("Conv", 1), TestGraph.ops(o.graph()));
        Node conv = TestGraph.only(o.graph(), "Conv");
        // Channel 1: scaled by 3, batch-normalized with var 1 (so by 1/sqrt(1 + 1e-5)), scaled by 3, shifted by 10.
        double a = 1 / Math.sqrt(1 + 1e-5);
        assertEquals(3 * a * 3, o.graph().initializers().get(conv.input(1)).getFloat(2), 1e-5);
        assertEquals(3 * a * 3 + 10, o.graph().initializers().get(conv.input(2)).getFloat(1), 1e-5);
    }

    private static TestGraph spelledLayerNorm(TestGraph t, String x, String y) {
        return t.floats("gamma", new long[] {8}).floats("beta", new long[] {8}, 0.5f).scalar("two", 2).scalar("eps", 1e-5f)
                .node("ReduceMean", x, "mean", "axes", new long[] {-1})
                .node2("Sub", x, "mean", "d").node2("Pow", "d", "two", "sq")
                .node("ReduceMean", "sq", "var", "axes", new long[] {-1})
                .node2("Add", "var", "eps", "ve").node("Sqrt", "ve", "sd").node2("Div", "d", "sd", "n")
                .node2("Mul", "n", "gamma", "g").node2("Add", "g", "beta", y);
    }

    @Test
    void layerNormSpelledOutBecomesOneNode() {
        Compiler.Optimized o = spelledLayerNorm(new TestGraph().input("x", 2, "seq", 8), "x", "y").output("y")
                .optimize("layer-norm");
        Node ln = TestGraph.only(o.graph(), "kiln.LayerNormalization");
        assertEquals(1, o.graph().nodes().size());
        assertEquals(3, ln.inputs().size());
        assertEquals(-1, ln.attrInt("axis", 0));
        assertEquals(1e-5f, ln.attrFloat("epsilon", 0));
        assertEquals(List.of("y"), ln.outputs());
    }

    @Test
    void aScaleThatWouldBroadcastTheInputUpIsLeftOut() {
        Compiler.Optimized o = spelledLayerNorm(new TestGraph().input("x", 2, "seq", 1), "x", "y").output("y")
                .optimize("layer-norm");
        Node ln = TestGraph.only(o.graph(), "kiln.LayerNormalization");
        assertEquals(2, ln.inputs().size(), "gamma [8] on x [2, seq, 1] grows the output: it stays a Mul");
        assertTrue(TestGraph.ops(o.graph()).containsKey("Mul"));
    }

    @Test
    void residualAddFusesIntoTheLayerNorm() {
        TestGraph t = new TestGraph().input("a", 2, "seq", 8).input("b", 2, "seq", 8).node2("Add", "a", "b", "x");
        Graph g = spelledLayerNorm(t, "x", "y").output("y").optimize("layer-norm", "skip-layer-norm").graph();
        Node sln = TestGraph.only(g, "kiln.SkipLayerNormalization");
        assertEquals(List.of("a", "b"), sln.inputs().subList(0, 2));
        assertEquals(List.of("y"), sln.outputs());
        assertEquals(1, g.nodes().size());
    }

    @Test
    void aSumReadElsewhereBecomesTheSecondOutput() {
        TestGraph t = new TestGraph().input("a", 2, 8).input("b", 2, 8).floats("gamma", new long[] {8})
                .node2("Add", "a", "b", "x")
                .node("LayerNormalization", List.of("x", "gamma"), List.of("y"))
                .node("Relu", "x", "r").output("y", "r");
        Graph g = t.optimize("skip-layer-norm").graph();
        assertEquals(List.of("y", "x"), TestGraph.only(g, "kiln.SkipLayerNormalization").outputs());
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))} in exporter order {@code order}. */
    private static TestGraph geluErf(int order) {
        TestGraph t = new TestGraph().input("x", 4, 16).scalar("sqrt2", (float) Math.sqrt(2)).scalar("one", 1)
                .scalar("half", 0.5f).node2("Div", "x", "sqrt2", "u").node("Erf", "u", "e").node2("Add", "e", "one", "a");
        return switch (order) {
            case 0 -> t.node2("Mul", "x", "a", "m").node2("Mul", "m", "half", "y");
            case 1 -> t.node2("Mul", "a", "half", "m").node2("Mul", "x", "m", "y");
            default -> t.node2("Mul", "x", "half", "h").node2("Mul", "h", "a", "y");
        };
    }

    @Test
    void geluErfSpellingsBecomeOneNode() {
        for (int order = 0; order < 3; order++) {
            Graph g = geluErf(order).output("y").optimize("gelu").graph();
            Node gelu = TestGraph.only(g, "kiln.Gelu");
            assertEquals(1, g.nodes().size(), "order " + order);
            assertEquals("none", gelu.attrString("approximate", ""));
            assertEquals(List.of("x"), gelu.inputs());
        }
    }

    @Test
    void geluTanhSpellingsBecomeOneNode() {
        for (boolean pow : new boolean[] {true, false}) {
            TestGraph t = new TestGraph().input("x", 4, 16).scalar("three", 3).scalar("k", 0.044715f)
                    .scalar("c", (float) Math.sqrt(2 / Math.PI)).scalar("one", 1).scalar("half", 0.5f);
            if (pow) {
                t.node2("Pow", "x", "three", "cube");
            } else {
                t.node2("Mul", "x", "x", "sq").node2("Mul", "sq", "x", "cube");
            }
            Graph g = t.node2("Mul", "cube", "k", "kc").node2("Add", "x", "kc", "r").node2("Mul", "r", "c", "s")
                    .node("Tanh", "s", "th").node2("Add", "th", "one", "a").node2("Mul", "x", "a", "m")
                    .node2("Mul", "m", "half", "y").output("y").optimize("gelu").graph();
            assertEquals(1, g.nodes().size(), "pow " + pow);
            assertEquals("tanh", TestGraph.only(g, "kiln.Gelu").attrString("approximate", ""));
        }
    }

    @Test
    void aWrongConstantIsNotGelu() {
        TestGraph t = new TestGraph().input("x", 4).scalar("c", 1.5f).scalar("one", 1).scalar("half", 0.5f)
                .node2("Div", "x", "c", "u").node("Erf", "u", "e").node2("Add", "e", "one", "a")
                .node2("Mul", "x", "a", "m").node2("Mul", "m", "half", "y").output("y");
        assertEquals(5, t.optimize("gelu").graph().nodes().size());
    }

    /** Attention over x [1, seq, 8] with 2 heads of 4, MiniLM's spelling. */
    static TestGraph attention(boolean mask) {
        TestGraph t = new TestGraph(11).input("q", 1, "seq", 8).input("k", 1, "seq", 8).input("v", 1, "seq", 8)
                .longs("split", 0, 0, 2, 4).longs("merge", 0, 0, 8).scalar("c", 2);
        if (mask) {
            t.input("mask", 1, 1, 1, "seq");
        }
        t.node2("Reshape", "q", "split", "q4").node("Transpose", "q4", "qt", "perm", new long[] {0, 2, 1, 3})
                .node2("Reshape", "k", "split", "k4").node("Transpose", "k4", "kt", "perm", new long[] {0, 2, 3, 1})
                .node2("Reshape", "v", "split", "v4").node("Transpose", "v4", "vt", "perm", new long[] {0, 2, 1, 3})
                .node2("MatMul", "qt", "kt", "s").node2("Div", "s", "c", "sc");
        if (mask) {
            t.node2("Add", "sc", "mask", "sm");
        }
        return t.node("Softmax", mask ? "sm" : "sc", "p", "axis", 3L).node2("MatMul", "p", "vt", "o")
                .node("Transpose", "o", "ot", "perm", new long[] {0, 2, 1, 3}).node2("Reshape", "ot", "merge", "y").output("y");
    }

    @Test
    void attentionBecomesOneNode() {
        for (boolean mask : new boolean[] {true, false}) {
            Graph g = attention(mask).optimize("attention").graph();
            Node a = TestGraph.only(g, "kiln.Attention");
            assertEquals(1, g.nodes().size());
            assertEquals(2, a.attrInt("num_heads", 0));
            assertEquals(0.5f, a.attrFloat("scale", 0));
            assertEquals(mask ? List.of("q", "k", "v", "mask") : List.of("q", "k", "v"), a.inputs());
        }
    }

    @Test
    void aMaskThatGrowsTheQueryAxisIsNotFused() {
        TestGraph t = new TestGraph(11).input("q", 1, 1, 8).input("k", 1, "seq", 8).input("v", 1, "seq", 8)
                .input("mask", 1, 1, 5, "seq").longs("split", 0, 0, 2, 4).longs("merge", 0, 0, 8).scalar("c", 2)
                .node2("Reshape", "q", "split", "q4").node("Transpose", "q4", "qt", "perm", new long[] {0, 2, 1, 3})
                .node2("Reshape", "k", "split", "k4").node("Transpose", "k4", "kt", "perm", new long[] {0, 2, 3, 1})
                .node2("Reshape", "v", "split", "v4").node("Transpose", "v4", "vt", "perm", new long[] {0, 2, 1, 3})
                .node2("MatMul", "qt", "kt", "s").node2("Div", "s", "c", "sc").node2("Add", "sc", "mask", "sm")
                .node("Softmax", "sm", "p", "axis", 3L).node2("MatMul", "p", "vt", "o")
                .node("Transpose", "o", "ot", "perm", new long[] {0, 2, 1, 3}).node2("Reshape", "ot", "merge", "y").output("y");
        assertEquals(Map.of(), t.optimize("attention").reports().get(0).rewrites());
    }

    @Test
    void linearBiasAndActivationFuseIntoTheMatMul() {
        Graph g = new TestGraph().input("x", "n", 6).floats("w", new long[] {6, 5}).floats("b", new long[] {5})
                .node2("MatMul", "x", "w", "m").node2("Add", "b", "m", "l").node("Relu", "l", "y").output("y")
                .optimize("epilogue").graph();
        Node f = TestGraph.only(g, "kiln.FusedMatMul");
        assertEquals(List.of("x", "w", "b"), f.inputs());
        assertEquals("Relu", f.attrString("activation", ""));
        assertEquals(1, g.nodes().size());
    }

    @Test
    void noFusionMovesWorkToALessPreferredBackend() {
        dev.kiln.backend.Backend fastMatMul = new TestGraph.EvalBackend() {
            @Override
            public boolean supports(String domain, String opType) {
                return domain.isEmpty() && opType.equals("MatMul");
            }
        };
        TestGraph t = new TestGraph().input("x", 4, 6).floats("w", new long[] {6, 5}).floats("b", new long[] {5})
                .node2("MatMul", "x", "w", "m").node2("Add", "m", "b", "y").output("y");
        Graph g = new Compiler("test", dev.kiln.Options.defaults().passes("epilogue"),
                List.of(fastMatMul, new TestGraph.EvalBackend())).optimize(t.build()).graph();
        assertEquals(Map.of("Add", 1, "MatMul", 1), TestGraph.ops(g));
    }

    @Test
    void aBiasAlongAnotherAxisIsNotALinearBias() {
        Graph g = new TestGraph().input("x", 5, 6).floats("w", new long[] {6, 5}).floats("b", new long[] {5, 1})
                .node2("MatMul", "x", "w", "m").node2("Add", "m", "b", "y").output("y").optimize("epilogue").graph();
        assertEquals(Map.of("Add", 1, "MatMul", 1), TestGraph.ops(g));
    }

    @Test
    void convTakesItsActivationResidualAndChannelBias() {
        TestGraph t = new TestGraph().input("x", 1, 3, 6, 6).input("z", 1, 4, 6, 6).floats("w", new long[] {4, 3, 3, 3})
                .floats("cb", new long[] {4, 1, 1})
                .node("Conv", List.of("x", "w"), List.of("c"), "pads", new long[] {1, 1, 1, 1})
                .node2("Add", "c", "cb", "cc").node2("Add", "z", "cc", "s").node("Relu", "s", "y").output("y");
        Graph g = t.optimize("epilogue").graph();
        Node f = TestGraph.only(g, "kiln.FusedConv");
        assertEquals(1, g.nodes().size());
        assertEquals(4, f.inputs().size());
        assertEquals("z", f.input(3));
        assertEquals("Relu", f.attrString("activation", ""));
        assertEquals("[1, 1, 1, 1]", TestGraph.str(f.attrInts("pads")));
    }

    @Test
    void theResidualGoesIntoTheConvWhoseOutputNothingElseReads() {
        TestGraph t = new TestGraph().input("x", 1, 2, 4, 4).floats("w", new long[] {2, 2, 1, 1})
                .node2("Conv", "x", "w", "c").node2("Conv", "c", "w", "c2").node2("Add", "c", "c2", "y").output("y");
        Graph g = t.optimize("epilogue").graph();
        assertEquals(Map.of("Conv", 1, "kiln.FusedConv", 1), TestGraph.ops(g));
        Node f = TestGraph.only(g, "kiln.FusedConv");
        assertEquals(List.of("c", "w", "", "c"), f.inputs());
    }

    @Test
    void siluAndClipAreEpilogues() {
        Graph g = new TestGraph(13).input("x", 1, 2, 4, 4).floats("w", new long[] {2, 2, 1, 1}).scalar("lo", 0)
                .scalar("hi", 6).node2("Conv", "x", "w", "c").node("Sigmoid", "c", "s").node2("Mul", "c", "s", "silu")
                .node2("Conv", "silu", "w", "c2").node("Clip", List.of("c2", "lo", "hi"), List.of("y")).output("y")
                .optimize("epilogue").graph();
        assertEquals(Map.of("kiln.FusedConv", 2), TestGraph.ops(g));
        assertEquals("SiLU", g.nodes().get(0).attrString("activation", ""));
        Node clip = g.nodes().get(1);
        assertEquals("Clip", clip.attrString("activation", ""));
        assertEquals(0f, clip.attrFloat("activation_alpha", -1));
        assertEquals(6f, clip.attrFloat("activation_beta", -1));
    }

    @Test
    void elementwiseChainBecomesOneNodeWithABody() {
        TestGraph t = new TestGraph().input("m", DType.INT64, "batch", 1, 1, "seq").scalar("one", 1).scalar("big", -1e4f)
                .node("Cast", "m", "f", "to", (long) DType.FLOAT.code()).node2("Sub", "one", "f", "inv")
                .node2("Mul", "inv", "big", "y").output("y");
        Compiler.Optimized o = t.optimize("elementwise-chain");
        Node e = TestGraph.only(o.graph(), "kiln.Elementwise");
        Graph body = e.attrGraph("body");
        assertEquals(List.of("m"), e.inputs());
        assertEquals(List.of("Cast", "Sub", "Mul"), body.nodes().stream().map(Node::opType).toList());
        assertEquals(2, body.initializers().size());
        assertEquals("float[batch,1,1,seq]", o.analysis().types().get("y").toString());
    }

    @Test
    void aProducerThatWouldBeRecomputedPerBroadcastElementIsNotMerged() {
        Graph g = new TestGraph().input("a", 1, 8).input("b", 16, 8)
                .node("Exp", "a", "e").node2("Mul", "e", "b", "y").output("y").optimize("elementwise-chain").graph();
        assertEquals(Map.of("Exp", 1, "Mul", 1), TestGraph.ops(g));
        assertNull(g.nodes().get(0).attribute("body"));
    }
}

package dev.kiln.opt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Options;
import dev.kiln.compile.Compiler;
import dev.kiln.graph.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pass selection, the checks after each pass, dumps, and passes of one's own. */
class PassManagerTest {

    @Test
    void selectionReadsLeftToRight() {
        assertEquals(Passes.standard().size(), Passes.select(List.of("all")).size());
        assertEquals(List.of(), Passes.select(List.of("all", "none")));
        List<String> names = Passes.select(List.of("all", "-attention", "-dead-code")).stream().map(Pass::name).toList();
        assertTrue(!names.contains("attention") && !names.contains("dead-code") && names.contains("gelu"));
        assertEquals(List.of("cse", "cse"), Passes.select(List.of("cse", "cse")).stream().map(Pass::name).toList());
    }

    @Test
    void anUnknownPassIsRefusedWithTheKnownNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Options.defaults().passes("fold"));
        assertTrue(e.getMessage().contains("constant-folding"), e.getMessage());
    }

    @Test
    void dumpsTheGraphAfterEveryPassAsTextAndDot(@TempDir Path dir) throws Exception {
        TestGraph t = new TestGraph().input("x", 3).node("Identity", "x", "a").node("Relu", "a", "y").output("y");
        t.optimize(Options.defaults().passes("identity-elimination", "dead-code").dumpPasses(dir));
        try (var s = Files.list(dir)) {
            assertEquals(List.of("00-input.dot", "00-input.txt", "01-identity-elimination.dot", "01-identity-elimination.txt",
                    "02-dead-code.dot", "02-dead-code.txt"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        String text = Files.readString(dir.resolve("01-identity-elimination.txt"));
        assertTrue(text.contains("Relu relu1 (x) -> y: float[3]"), text);
        assertTrue(Files.readString(dir.resolve("00-input.dot")).startsWith("digraph \"test\" {"));
    }

    /** A pass of one's own: Neg(Neg(x)) -> x, through the public API. */
    static final class DoubleNegation implements RewriteRule {
        @Override
        public String name() {
            return "double-negation";
        }

        @Override
        public Set<String> roots() {
            return Set.of("Neg");
        }

        @Override
        public Patch match(Node outer, OptGraph g) {
            Node inner = Match.soleProducer(g, outer.input(0), "Neg");
            return inner == null ? null
                    : Patch.builder().remove(inner, outer).reroute(outer.outputs().get(0), inner.input(0)).build();
        }
    }

    @Test
    void aPassOfOnesOwnRunsAfterTheNamedOnes() {
        TestGraph t = new TestGraph().input("x", 3).node("Neg", "x", "a").node("Neg", "a", "b").node("Relu", "b", "y")
                .output("y");
        Compiler.Optimized o = t.optimize(Options.defaults().passes("none")
                .addPass(new RulePass("negation", List.of(new DoubleNegation()))));
        assertEquals(Map.of("Relu", 1), TestGraph.ops(o.graph()));
        assertEquals(Map.of("double-negation", 1), o.reports().get(0).rewrites());
    }

    @Test
    void aPassThatBreaksTheGraphIsNamed() {
        Pass broken = new Pass() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public boolean run(OptGraph g) {
                Node relu = g.nodes().get(0);
                Node cast = new Node("n", "Cast", "", relu.inputs(), relu.outputs(),
                        List.of(new dev.kiln.graph.Attribute.IntAttr("to", dev.kiln.tensor.DType.INT64.code())));
                g.apply(Patch.replace(cast, relu), name());
                return true;
            }
        };
        TestGraph t = new TestGraph().input("x", 3).node("Relu", "x", "y").output("y");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> t.optimize(Options.defaults().passes("none").addPass(broken)));
        assertTrue(e.getMessage().contains("'broken'") && e.getMessage().contains("changed type"), e.getMessage());
    }

    @Test
    void aPatchThatLeavesAReadDanglingIsRefused() {
        Pass dangling = new Pass() {
            @Override
            public String name() {
                return "dangling";
            }

            @Override
            public boolean run(OptGraph g) {
                g.apply(Patch.builder().remove(g.nodes().get(0)).build(), name());
                return true;
            }
        };
        TestGraph t = new TestGraph().input("x", 3).node("Relu", "x", "a").node("Neg", "a", "y").output("y");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> t.optimize(Options.defaults().passes("none").addPass(dangling)));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    }
}

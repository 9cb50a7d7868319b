package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.FusionCheck.ints;

import java.util.List;
import org.junit.jupiter.api.Test;

/** kiln.LayerNormalization and kiln.SkipLayerNormalization against the spelled-out layer norm. */
class FusedNormalizationKernelsTest {
    private static final long[][] SHAPES = {{1, 1, 1}, {1, 7, 5}, {2, 3, 384}, {3, 13, 31}};

    private static FusionCheck layerNorm(FusionCheck k, String x, long width, String y) {
        return k.weightIn("gamma", 0.5, 1.5, width).weight("beta", 0.3, width).scalar("two", 2).scalar("eps", 1e-5f)
                .node("ReduceMean", x, "mean", ints("axes", -1)).node2("Sub", x, "mean", "d")
                .node2("Pow", "d", "two", "sq").node("ReduceMean", "sq", "var", ints("axes", -1))
                .node2("Add", "var", "eps", "ve").node("Sqrt", "ve", "sd").node2("Div", "d", "sd", "n")
                .node2("Mul", "n", "gamma", "g").node2("Add", "g", "beta", y);
    }

    @Test
    void layerNormMatches() {
        int seed = 0;
        for (long[] s : SHAPES) {
            layerNorm(new FusionCheck(seed++, 11).input("x", 3, s), "x", s[2], "y").output("y")
                    .check("kiln.LayerNormalization", 1e-5, "layer-norm");
        }
    }

    @Test
    void skipLayerNormMatches() {
        int seed = 10;
        for (long[] s : SHAPES) {
            FusionCheck k = new FusionCheck(seed++, 11).input("a", 3, s).input("b", 3, s).node2("Add", "a", "b", "x");
            layerNorm(k, "x", s[2], "y").output("y").check("kiln.SkipLayerNormalization", 1e-5, "layer-norm",
                    "skip-layer-norm");
        }
    }

    @Test
    void skipLayerNormBroadcastsTheSkipAndReturnsTheSum() {
        int seed = 20;
        for (long[] s : SHAPES) {
            FusionCheck k = new FusionCheck(seed++, 17).input("a", 3, s).input("b", 3, 1, s[1], s[2])
                    .weightIn("gamma", 0.5, 1.5, s[2]).node2("Add", "a", "b", "x")
                    .node("LayerNormalization", List.of("x", "gamma"), List.of("y"));
            k.node("Neg", "x", "n").output("y", "n").check("kiln.SkipLayerNormalization", 1e-5, "skip-layer-norm");
        }
    }
}

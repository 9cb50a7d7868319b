package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.FusionCheck.f;
import static dev.kiln.cpu.ref.FusionCheck.i;
import static dev.kiln.cpu.ref.FusionCheck.ints;

import dev.kiln.graph.Attribute;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** kiln.FusedConv against Conv, BatchNormalization, residual Add and activation run one by one. */
class FusedConvKernelsTest {

    private static final String[][] ACTIVATIONS = {{"Relu"}, {"LeakyRelu"}, {"Sigmoid"}, {"HardSigmoid"},
        {"HardSwish"}, {"Tanh"}, {"Clip"}, {"SiLU"}};

    /** Shapes with 1s, primes and odd sizes; group and stride combinations. */
    private static final long[][] CASES = {
        // batch, in channels, out channels, height, width, kernel, stride, pad, group
        {1, 1, 1, 1, 1, 1, 1, 0, 1},
        {1, 3, 4, 5, 7, 3, 1, 1, 1},
        {2, 4, 6, 7, 5, 3, 2, 1, 2},
        {1, 5, 7, 11, 3, 1, 1, 0, 1},
        {1, 6, 6, 9, 9, 3, 1, 1, 6},
        {2, 2, 3, 13, 4, 2, 2, 0, 1},
    };

    @Test
    void convBatchNormActivationMatchesTheUnfusedOps() {
        int seed = 0;
        for (long[] c : CASES) {
            for (String[] act : ACTIVATIONS) {
                FusionCheck k = conv(seed++, c, true, "c");
                String out = activation(k, act[0], "c", "y");
                k.output(out).check("kiln.FusedConv", 1e-5, "conv-batchnorm", "epilogue");
            }
        }
    }

    @Test
    void residualAddAndReluMatchExactly() {
        int seed = 100;
        for (long[] c : CASES) {
            FusionCheck k = conv(seed++, c, false, "c");
            long[] out = outShape(c);
            k.input("z", 1, out).node2("Add", "z", "c", "s").node("Relu", "s", "y").output("y");
            List<String> ops = k.check("kiln.FusedConv", 0, "epilogue");
            if (ops.size() != 1) {
                throw new AssertionError("residual and Relu should both fuse: " + ops);
            }
        }
    }

    @Test
    void aResidualConvWithoutActivationMatchesExactly() {
        long[] c = CASES[1];
        FusionCheck k = conv(7, c, false, "c");
        k.input("z", 1, outShape(c)).node("Sum", List.of("c", "z"), List.of("y")).output("y")
                .check("kiln.FusedConv", 0, "epilogue");
    }

    @Test
    void caffeStyleScaleAndShiftAfterBatchNormMatch() {
        int seed = 200;
        for (long[] c : CASES) {
            FusionCheck k = conv(seed++, c, true, "bn");
            k.weight("s", 1, 1, c[2], 1, 1).weight("t", 1, 1, c[2], 1, 1).node2("Mul", "bn", "s", "m")
                    .node2("Add", "m", "t", "a").node("Relu", "a", "y").output("y")
                    .check("kiln.FusedConv", 1e-5, "conv-batchnorm", "epilogue");
        }
    }

    @Test
    void hardSwishSpelledOutMatches() {
        int seed = 300;
        for (long[] c : CASES) {
            for (int opset : new int[] {9, 13}) {
                FusionCheck k = conv(seed++, c, false, "cx", opset).scalar("three", 3).scalar("six", 6).scalar("zero", 0)
                        .node2("Add", "cx", "three", "a");
                if (opset < 11) {
                    k.node("Clip", "a", "cl", f("min", 0), f("max", 6));
                } else {
                    k.node("Clip", java.util.List.of("a", "zero", "six"), java.util.List.of("cl"));
                }
                k.node2("Mul", "cx", "cl", "m").node2("Div", "m", "six", "y").output("y")
                        .check("kiln.FusedConv", 1e-6, "epilogue");
            }
        }
    }

    private static long[] outShape(long[] c) {
        long h = (c[3] + 2 * c[7] - c[5]) / c[6] + 1;
        long w = (c[4] + 2 * c[7] - c[5]) / c[6] + 1;
        return new long[] {c[0], c[2], h, w};
    }

    private static FusionCheck conv(long seed, long[] c, boolean batchNorm, String out) {
        return conv(seed, c, batchNorm, out, 14);
    }

    private static FusionCheck conv(long seed, long[] c, boolean batchNorm, String out, int opset) {
        FusionCheck k = new FusionCheck(seed, opset).input("x", 1, c[0], c[1], c[3], c[4])
                .weight("w", 0.5, c[2], c[1] / c[8], c[5], c[5]).weight("b", 0.1, c[2]);
        List<Attribute> attrs = new ArrayList<>(List.of(ints("kernel_shape", c[5], c[5]), ints("strides", c[6], c[6]),
                ints("pads", c[7], c[7], c[7], c[7]), i("group", c[8])));
        String convOut = batchNorm ? "raw" : out;
        k.node("Conv", List.of("x", "w", "b"), List.of(convOut), attrs.toArray(new Attribute[0]));
        if (batchNorm) {
            k.weightIn("scale", 0.5, 1.5, c[2]).weight("beta", 0.2, c[2]).weight("mean", 0.3, c[2]).weightIn("var", 0.5, 1.5, c[2])
                    .node("BatchNormalization", List.of(convOut, "scale", "beta", "mean", "var"), List.of(out),
                            f("epsilon", 1e-3f));
        }
        return k;
    }

    private static String activation(FusionCheck k, String act, String in, String out) {
        switch (act) {
            case "LeakyRelu" -> k.node(act, in, out, f("alpha", 0.07f));
            case "HardSigmoid" -> k.node(act, in, out, f("alpha", 0.3f), f("beta", 0.4f));
            case "Clip" -> k.scalar("lo", -0.25f).scalar("hi", 0.5f).node("Clip", List.of(in, "lo", "hi"), List.of(out));
            case "SiLU" -> k.node("Sigmoid", in, "sig").node2("Mul", in, "sig", out);
            default -> k.node(act, in, out);
        }
        return out;
    }
}

package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.FusionCheck.i;
import static dev.kiln.cpu.ref.FusionCheck.s;

import java.util.List;
import org.junit.jupiter.api.Test;

/** kiln.FusedMatMul and kiln.FusedGemm against MatMul/Gemm, Add and the activation run one by one. */
class FusedMatMulKernelsTest {
    private static final long[][] SHAPES = {{1, 1, 1, 1}, {1, 3, 5, 7}, {2, 17, 13, 33}, {3, 4, 64, 2}, {1, 31, 9, 65}};

    @Test
    void linearWithBiasMatchesExactly() {
        int seed = 0;
        for (long[] s : SHAPES) {
            new FusionCheck(seed++, 17).input("x", 1, s[0], s[1], s[2]).weight("w", 0.5, s[2], s[3])
                    .weight("b", 0.5, s[3]).node2("MatMul", "x", "w", "m").node2("Add", "b", "m", "y").output("y")
                    .check("kiln.FusedMatMul", 0, "epilogue");
        }
    }

    @Test
    void linearWithBiasAndActivationMatchesExactly() {
        int seed = 10;
        for (long[] s : SHAPES) {
            for (String act : new String[] {"Relu", "Tanh", "Sigmoid", "HardSwish"}) {
                new FusionCheck(seed++, 17).input("x", 1, s[1], s[2]).weight("w", 0.5, s[2], s[3])
                        .weight("b", 0.5, 1, s[3]).node2("MatMul", "x", "w", "m").node2("Add", "m", "b", "l")
                        .node(act, "l", "y").output("y").check("kiln.FusedMatMul", 0, "epilogue");
            }
        }
    }

    @Test
    void linearWithGeluSpelledOutMatches() {
        int seed = 40;
        for (long[] s : SHAPES) {
            new FusionCheck(seed++, 11).input("x", 2, s[1], s[2]).weight("w", 0.5, s[2], s[3]).weight("b", 0.5, s[3])
                    .scalar("sqrt2", (float) Math.sqrt(2)).scalar("one", 1).scalar("half", 0.5f)
                    .node2("MatMul", "x", "w", "m").node2("Add", "b", "m", "l").node2("Div", "l", "sqrt2", "u")
                    .node("Erf", "u", "e").node2("Add", "e", "one", "a").node2("Mul", "l", "a", "p")
                    .node2("Mul", "p", "half", "y").output("y").check("kiln.FusedMatMul", 1e-5, "gelu", "epilogue");
        }
    }

    @Test
    void gemmWithActivationMatchesExactly() {
        int seed = 60;
        for (long[] s : SHAPES) {
            new FusionCheck(seed++, 13).input("x", 1, s[1], s[2]).weight("w", 0.5, s[3], s[2]).weight("c", 0.5, s[3])
                    .node("Gemm", List.of("x", "w", "c"), List.of("g"), i("transB", 1)).node("Relu", "g", "y").output("y")
                    .check("kiln.FusedGemm", 0, "epilogue");
        }
    }

    @Test
    void geluNodeMatchesTheOnnxGelu() {
        for (String approximate : new String[] {"none", "tanh"}) {
            new FusionCheck(3, 20).input("x", 4, 3, 37).weight("w", 0.5, 37, 5).node2("MatMul", "x", "w", "m")
                    .node("Gelu", "m", "y", s("approximate", approximate)).output("y")
                    .check("kiln.FusedMatMul", 0, "epilogue");
        }
    }
}

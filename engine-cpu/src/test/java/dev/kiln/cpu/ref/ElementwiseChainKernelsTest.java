package dev.kiln.cpu.ref;

import static dev.kiln.cpu.ref.FusionCheck.f;
import static dev.kiln.cpu.ref.FusionCheck.i;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** kiln.Elementwise against its operators run one by one: results are bit-equal. */
class ElementwiseChainKernelsTest {
    private static final long[][] SHAPES = {{1}, {7}, {3, 255}, {2, 3, 257}, {1, 1, 1000}};

    @Test
    void arithmeticAndActivationChainsMatchExactly() {
        int seed = 0;
        for (long[] s : SHAPES) {
            long[] row = {s[s.length - 1]};
            new FusionCheck(seed++, 13).input("a", 3, s).input("b", 3, row).scalar("k", 0.75f)
                    .node2("Add", "a", "b", "t0").node("Relu", "t0", "t1").node2("Mul", "t1", "k", "t2")
                    .node("Sigmoid", "t2", "t3").node2("Sub", "t3", "a", "t4").node("Tanh", "t4", "t5")
                    .node2("Div", "t5", "b", "t6").node("Exp", "t6", "t7").node2("Max", "t7", "a", "t8")
                    .node("LeakyRelu", "t8", "t9", f("alpha", 0.2f)).node("Erf", "t9", "y").output("y")
                    .check("kiln.Elementwise", 0, "elementwise-chain");
        }
    }

    @Test
    void theAttentionMaskChainCastsFromIntegers() {
        Tensor m = Tensor.allocate(DType.INT64, Shape.of(2, 1, 1, 9));
        for (long j = 0; j < m.size(); j++) {
            m.setLong(j, j % 3 == 0 ? 0 : 1);
        }
        new FusionCheck(1, 11).input("m", m).scalar("one", 1).scalar("big", -3.4028234663852886e38f)
                .node("Cast", "m", "f", i("to", DType.FLOAT.code())).node2("Sub", "one", "f", "inv")
                .node2("Mul", "inv", "big", "y").output("y").check("kiln.Elementwise", 0, "elementwise-chain");
    }

    @Test
    void unaryFunctionsWithAttributesMatchExactly() {
        new FusionCheck(2, 14).input("x", 4, 5, 67).scalar("two", 2).node("Abs", "x", "a")
                .node2("Pow", "a", "two", "p").node("Sqrt", "p", "q").node("Neg", "q", "n").node("Softplus", "n", "sp")
                .node("HardSigmoid", "sp", "hs", f("alpha", 0.3f), f("beta", 0.6f)).node("Log", "hs", "l")
                .node("Elu", "l", "e", f("alpha", 0.5f)).node("HardSwish", "e", "h").node2("Min", "h", "x", "y")
                .output("y").check("kiln.Elementwise", 0, "elementwise-chain");
    }

    /** Every operator the fusion rule may put in a body runs in this kernel (the rule lives in engine-core). */
    @Test
    void everyOperatorTheRuleAcceptsIsImplemented() {
        for (String op : dev.kiln.opt.rules.FuseElementwiseChain.OPS) {
            FusionCheck k = new FusionCheck(op.hashCode(), 20).input("x", 0.9, 3, 5).input("z", 0.9, 5);
            String in = "x";
            if (op.equals("Cast")) {
                k.node("Cast", "x", "c", i("to", DType.FLOAT.code()));
            } else if (java.util.Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min").contains(op)) {
                k.node("Abs", "x", "ax").node2(op, "ax", "z", "c");
            } else {
                k.node(op, in, "c");
            }
            k.node("Neg", "c", "y").output("y").check("kiln.Elementwise", 0, "elementwise-chain");
        }
    }

    @Test
    void aChainOfTwoOnAScalarInputWorks() {
        new FusionCheck(3, 13).input("x", 1, new long[0]).node("Exp", "x", "e").node("Neg", "e", "y").output("y")
                .check("kiln.Elementwise", 0, "elementwise-chain");
    }
}

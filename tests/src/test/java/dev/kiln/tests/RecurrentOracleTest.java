package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RNN, GRU and LSTM against ONNX Runtime over the attribute combinations the backend tests
 * leave out: directions, custom activations with alpha/beta, clipping, sequence
 * lengths, initial states, peepholes and linear_before_reset. (ONNX Runtime has no batch-major
 * layout; the backend tests cover it.)
 */
class RecurrentOracleTest {

    record Variant(String op, String direction, String[] activations, float[] alphas, float[] betas,
                   Float clip, boolean seqLens, boolean initial, boolean peepholes, int linearBeforeReset) {
        @Override
        public String toString() {
            return op + " " + direction + (activations == null ? "" : " " + String.join(",", activations))
                    + (clip == null ? "" : " clip=" + clip) + (seqLens ? " lens" : "") + (initial ? " init" : "")
                    + (peepholes ? " peep" : "") + (linearBeforeReset != 0 ? " lbr" : "");
        }
    }

    static Stream<Variant> variants() {
        List<Variant> v = new ArrayList<>();
        for (String op : List.of("RNN", "GRU", "LSTM")) {
            for (String dir : List.of("forward", "reverse", "bidirectional")) {
                v.add(new Variant(op, dir, null, null, null, null, true, true, op.equals("LSTM"), 0));
                v.add(new Variant(op, dir, null, null, null, 0.3f, false, false, false, 0));
            }
        }
        // Alpha and beta values go, in order, to the activations that take them; ORT's RNN reads
        // them by position instead, so this case keeps the two readings equal.
        v.add(new Variant("RNN", "bidirectional", new String[] {"HardSigmoid", "LeakyRelu"},
                new float[] {0.3f, 0.2f}, new float[] {0.6f, 0f}, null, true, true, false, 0));
        v.add(new Variant("RNN", "forward", new String[] {"Elu"}, new float[] {0.7f}, null, null, false, false, false, 0));
        v.add(new Variant("RNN", "forward", new String[] {"Softsign"}, null, null, null, false, false, false, 0));
        v.add(new Variant("RNN", "forward", new String[] {"Relu"}, null, null, null, true, false, false, 0));
        v.add(new Variant("GRU", "forward", null, null, null, null, true, true, false, 1));
        v.add(new Variant("GRU", "bidirectional", new String[] {"HardSigmoid", "Softsign", "Sigmoid", "Tanh"},
                new float[] {0.3f}, new float[] {0.6f}, null, true, true, false, 1));
        v.add(new Variant("LSTM", "forward", new String[] {"HardSigmoid", "LeakyRelu", "Softsign"},
                new float[] {0.25f, 0.1f}, new float[] {0.45f}, null, true, true, true, 0));
        v.add(new Variant("LSTM", "bidirectional", null, null, null, 0.5f, true, true, true, 0));
        v.add(new Variant("LSTM", "forward", new String[] {"LeakyRelu", "HardSigmoid", "Tanh"},
                new float[] {0.1f, 0.3f}, new float[] {0.5f, 0.6f}, null, false, false, false, 0));
        v.add(new Variant("RNN", "forward", new String[] {"HardSigmoid"},
                new float[] {0.3f}, new float[] {0.6f}, null, false, false, false, 0));

        return v.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void matchesOnnxRuntime(Variant v) {
        Random rnd = new Random(v.toString().hashCode());
        int gates = switch (v.op()) {
            case "RNN" -> 1;
            case "GRU" -> 3;
            default -> 4;
        };
        int dirs = v.direction().equals("bidirectional") ? 2 : 1;
        long seq = 5;
        long batch = 3;
        long input = 4;
        long hidden = 3;
        Tensor x = SingleNode.random(rnd, seq, batch, input);
        long[] state = {dirs, batch, hidden};
        SingleNode o = SingleNode.node(v.op(), 22).attr("hidden_size", hidden).attr("direction", v.direction());
        if (v.activations() != null) {
            o.attrs("activations", v.activations());
        }
        if (v.alphas() != null) {
            o.attrs("activation_alpha", v.alphas());
        }
        if (v.betas() != null) {
            o.attrs("activation_beta", v.betas());
        }
        if (v.clip() != null) {
            o.attr("clip", v.clip());
        }
        if (v.linearBeforeReset() != 0) {
            o.attr("linear_before_reset", (long) v.linearBeforeReset());
        }
        o.input(x).input(SingleNode.random(rnd, dirs, gates * hidden, input))
                .input(SingleNode.random(rnd, dirs, gates * hidden, hidden))
                .input(SingleNode.random(rnd, dirs, 2 * gates * hidden))
                .input(v.seqLens() ? Tensor.ofInts(new long[] {batch}, 5, 2, 4) : null)
                .input(v.initial() ? SingleNode.random(rnd, state) : null);
        if (v.op().equals("LSTM")) {
            o.input(v.initial() ? SingleNode.random(rnd, state) : null)
                    .input(v.peepholes() ? SingleNode.random(rnd, dirs, 3 * hidden) : null);
        }
        o.outputs(v.op().equals("LSTM") ? 3 : 2);
        assertNull(o.compareWithOrt(1e-4, 1e-5));
    }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Properties of neural-network kernels that neither the backend tests nor ONNX Runtime check:
 * Attention's sliding windows against the equivalent boolean mask, stateful operators run in
 * one call against the same work split in two, the batch-major recurrent layout against the
 * sequence-major one, the deprecated GroupNormalization form, and the invariants of the
 * normalizations.
 */
class NnPropertiesTest {
    private final Random rnd = new Random(3);

    private static void assertClose(Tensor expected, Tensor actual, double tol) {
        assertNull(ValueComparison.tensors(expected, actual, tol, tol));
    }

    /** A slice [from, to) of axis 1 of a 3-D tensor, copied. */
    private static Tensor slice1(Tensor t, long from, long to) {
        long a = t.shape().dim(0);
        long c = t.shape().dim(2);
        Tensor r = Tensor.allocate(t.dtype(), Shape.of(a, to - from, c));
        for (long i = 0; i < a; i++) {
            for (long j = from; j < to; j++) {
                for (long k = 0; k < c; k++) {
                    r.setDouble((i * (to - from) + j - from) * c + k, t.getDouble((i * t.shape().dim(1) + j) * c + k));
                }
            }
        }
        return r;
    }

    /** A slice [from, to) of the last axis of a 3-D tensor, copied. */
    private static Tensor slice2(Tensor t, long from, long to) {
        long outer = t.shape().dim(0) * t.shape().dim(1);
        long c = t.shape().dim(2);
        Tensor r = Tensor.allocate(t.dtype(), Shape.of(t.shape().dim(0), t.shape().dim(1), to - from));
        for (long i = 0; i < outer; i++) {
            for (long k = from; k < to; k++) {
                r.setDouble(i * (to - from) + k - from, t.getDouble(i * c + k));
            }
        }
        return r;
    }

    @ParameterizedTest(name = "left {0}, right {1}, causal {2}, past {3}")
    @CsvSource({"1,0,0,0", "2,1,0,0", "0,-1,0,0", "-1,2,0,3", "1,3,1,2"})
    void attentionWindowIsAMask(long left, long right, long causal, long past) {
        long b = 2;
        long h = 2;
        long sq = 4;
        long skv = 5;
        long total = past + skv;
        Tensor q = SingleNode.random(rnd, b, h, sq, 3);
        Tensor k = SingleNode.random(rnd, b, h, skv, 3);
        Tensor v = SingleNode.random(rnd, b, h, skv, 2);
        Tensor pk = past > 0 ? SingleNode.random(rnd, b, h, past, 3) : null;
        Tensor pv = past > 0 ? SingleNode.random(rnd, b, h, past, 2) : null;
        Tensor mask = Tensor.allocate(DType.BOOL, Shape.of(sq, total));
        for (long i = 0; i < sq; i++) {
            long p = past + i;
            for (long j = 0; j < total; j++) {
                boolean ok = (left < 0 || j >= p - left) && (right < 0 || j <= p + right) && (causal == 0 || j <= p);
                mask.setLong(i * total + j, ok ? 1 : 0);
            }
        }
        Tensor windowed = SingleNode.node("Attention", 25).attr("left_window_size", left).attr("right_window_size", right)
                .attr("is_causal", causal).input(q).input(k).input(v).input(null).input(pk).input(pv).outputs(1)
                .runKiln().get(0);
        Tensor masked = SingleNode.node("Attention", 25).input(q).input(k).input(v).input(mask).input(pk).input(pv)
                .outputs(1).runKiln().get(0);
        assertClose(masked, windowed, 1e-6);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"linear", "gated", "delta", "gated_delta"})
    void linearAttentionSplitsAtAnyStep(String rule) {
        long b = 2;
        long t = 5;
        long hq = 4;
        long hkv = 2;
        long dk = 3;
        long dv = 2;
        Tensor q = SingleNode.random(rnd, b, t, hq * dk);
        Tensor k = SingleNode.random(rnd, b, t, hkv * dk);
        Tensor v = SingleNode.random(rnd, b, t, hkv * dv);
        Tensor decay = SingleNode.random(rnd, b, t, hkv * dk);
        Tensor beta = SingleNode.random(rnd, b, t, hkv);
        Tensor past = SingleNode.random(rnd, b, hkv, dk, dv);
        boolean gated = rule.contains("gated");
        boolean delta = rule.contains("delta");
        List<Tensor> whole = linearAttention(rule, q, k, v, past, gated ? decay : null, delta ? beta : null);
        List<Tensor> first = linearAttention(rule, slice1(q, 0, 2), slice1(k, 0, 2), slice1(v, 0, 2), past,
                gated ? slice1(decay, 0, 2) : null, delta ? slice1(beta, 0, 2) : null);
        List<Tensor> second = linearAttention(rule, slice1(q, 2, t), slice1(k, 2, t), slice1(v, 2, t), first.get(1),
                gated ? slice1(decay, 2, t) : null, delta ? slice1(beta, 2, t) : null);
        assertClose(slice1(whole.get(0), 0, 2), first.get(0), 1e-5);
        assertClose(slice1(whole.get(0), 2, t), second.get(0), 1e-5);
        assertClose(whole.get(1), second.get(1), 1e-5);
    }

    private static List<Tensor> linearAttention(String rule, Tensor q, Tensor k, Tensor v, Tensor past, Tensor decay,
                                                Tensor beta) {
        return SingleNode.node("LinearAttention", 27).attr("update_rule", rule).attr("q_num_heads", 4L)
                .attr("kv_num_heads", 2L).input(q).input(k).input(v).input(past).input(decay).input(beta).outputs(2)
                .runKiln();
    }

    @Test
    void causalConvSplitsAtAnyStep() {
        Tensor x = SingleNode.random(rnd, 2, 3, 7);
        Tensor w = SingleNode.random(rnd, 3, 1, 4);
        Tensor bias = SingleNode.random(rnd, 3);
        List<Tensor> whole = causalConv(x, w, bias, null);
        List<Tensor> first = causalConv(slice2(x, 0, 2), w, bias, null);
        List<Tensor> second = causalConv(slice2(x, 2, 7), w, bias, first.get(1));
        assertClose(slice2(whole.get(0), 0, 2), first.get(0), 1e-6);
        assertClose(slice2(whole.get(0), 2, 7), second.get(0), 1e-6);
        assertClose(whole.get(1), second.get(1), 1e-6);
    }

    private static List<Tensor> causalConv(Tensor x, Tensor w, Tensor bias, Tensor past) {
        return SingleNode.node("CausalConvWithState", 27).attr("activation", "silu").input(x).input(w).input(bias)
                .input(past).outputs(2).runKiln();
    }

    /** Swaps the first two axes of a rank-3 or rank-4 tensor. */
    private static Tensor swap01(Tensor t) {
        long[] d = t.shape().dims();
        long a = d[0];
        long b = d[1];
        long inner = t.shape().sizeBetween(2, t.rank());
        long[] nd = d.clone();
        nd[0] = b;
        nd[1] = a;
        Tensor r = Tensor.allocate(t.dtype(), Shape.of(nd));
        for (long i = 0; i < a; i++) {
            for (long j = 0; j < b; j++) {
                for (long k = 0; k < inner; k++) {
                    r.setDouble((j * a + i) * inner + k, t.getDouble((i * b + j) * inner + k));
                }
            }
        }
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"RNN", "GRU", "LSTM"})
    void batchMajorLayoutIsATranspose(String op) {
        int gates = op.equals("RNN") ? 1 : op.equals("GRU") ? 3 : 4;
        long seq = 4;
        long batch = 3;
        long hidden = 2;
        Tensor x = SingleNode.random(rnd, seq, batch, 3);
        Tensor w = SingleNode.random(rnd, 2, gates * hidden, 3);
        Tensor r = SingleNode.random(rnd, 2, gates * hidden, hidden);
        Tensor bias = SingleNode.random(rnd, 2, 2 * gates * hidden);
        Tensor lens = Tensor.ofInts(new long[] {batch}, 4, 1, 3);
        Tensor h0 = SingleNode.random(rnd, 2, batch, hidden);
        Tensor c0 = SingleNode.random(rnd, 2, batch, hidden);
        int outs = op.equals("LSTM") ? 3 : 2;
        List<Tensor> seqMajor = recurrent(op, 0, x, w, r, bias, lens, h0, c0, outs);
        List<Tensor> batchMajor = recurrent(op, 1, swap01(x), w, r, bias, lens, swap01(h0), swap01(c0), outs);
        // Y is (seq, dirs, batch, hidden) against (batch, seq, dirs, hidden).
        Tensor y = seqMajor.get(0);
        Tensor yb = batchMajor.get(0);
        for (long t = 0; t < seq; t++) {
            for (long d = 0; d < 2; d++) {
                for (long b = 0; b < batch; b++) {
                    for (long h = 0; h < hidden; h++) {
                        assertEquals(y.getDouble(((t * 2 + d) * batch + b) * hidden + h),
                                yb.getDouble(((b * seq + t) * 2 + d) * hidden + h), 1e-6);
                    }
                }
            }
        }
        for (int i = 1; i < outs; i++) {
            assertClose(seqMajor.get(i), swap01(batchMajor.get(i)), 1e-6);
        }
    }

    private static List<Tensor> recurrent(String op, long layout, Tensor x, Tensor w, Tensor r, Tensor bias,
                                          Tensor lens, Tensor h0, Tensor c0, int outs) {
        SingleNode n = SingleNode.node(op, 22).attr("hidden_size", 2L).attr("direction", "bidirectional")
                .attr("layout", layout).input(x).input(w).input(r).input(bias).input(lens).input(h0);
        if (op.equals("LSTM")) {
            n.input(c0);
        }
        return n.outputs(outs).runKiln();
    }

    @Test
    void groupNormOpset18ScalesPerGroup() {
        Tensor x = SingleNode.random(rnd, 2, 6, 3, 2);
        Tensor scale = Tensor.ofFloats(new long[] {3}, 0.5f, -1.5f, 2f);
        Tensor bias = Tensor.ofFloats(new long[] {3}, 0.1f, 0.2f, -0.3f);
        Tensor scaleC = Tensor.ofFloats(new long[] {6}, 0.5f, 0.5f, -1.5f, -1.5f, 2f, 2f);
        Tensor biasC = Tensor.ofFloats(new long[] {6}, 0.1f, 0.1f, 0.2f, 0.2f, -0.3f, -0.3f);
        Tensor perGroup = SingleNode.node("GroupNormalization", 18).attr("num_groups", 3L).input(x).input(scale)
                .input(bias).outputs(1).runKiln().get(0);
        Tensor perChannel = SingleNode.node("GroupNormalization", 21).attr("num_groups", 3L).input(x).input(scaleC)
                .input(biasC).outputs(1).runKiln().get(0);
        assertClose(perChannel, perGroup, 1e-6);
    }

    @Test
    void batchNormTrainingOpset9ReturnsBatchStatistics() {
        Tensor x = SingleNode.random(rnd, 3, 2, 4);
        Tensor ones = Tensor.ofFloats(new long[] {2}, 1f, 1f);
        Tensor zeros = Tensor.ofFloats(new long[] {2}, 0f, 0f);
        List<Tensor> out = SingleNode.node("BatchNormalization", 9).attr("momentum", 0.25f).attr("epsilon", 0f)
                .input(x).input(ones).input(zeros).input(zeros).input(ones).outputs(5).runKiln();
        for (int c = 0; c < 2; c++) {
            double sum = 0;
            double sq = 0;
            for (int n = 0; n < 3; n++) {
                for (int i = 0; i < 4; i++) {
                    double v = x.getDouble((n * 2 + c) * 4 + i);
                    sum += v;
                    sq += v * v;
                }
            }
            double mean = sum / 12;
            double var = sq / 12 - mean * mean;
            assertEquals(0.75 * mean, out.get(1).getDouble(c), 1e-5, "running mean");
            assertEquals(0.25 + 0.75 * var, out.get(2).getDouble(c), 1e-5, "running variance");
            assertEquals(mean, out.get(3).getDouble(c), 1e-5, "batch mean");
            assertEquals(var, out.get(4).getDouble(c), 1e-5, "batch variance");
        }
    }

    @Test
    void meanVarianceNormalizationStandardizesEachSlice() {
        Tensor x = SingleNode.random(rnd, 2, 3, 4, 5);
        Tensor y = SingleNode.node("MeanVarianceNormalization", 13).attrs("axes", 0L, 3L).input(x).outputs(1)
                .runKiln().get(0);
        for (int c = 0; c < 3; c++) {
            for (int h = 0; h < 4; h++) {
                double sum = 0;
                double sq = 0;
                for (int n = 0; n < 2; n++) {
                    for (int w = 0; w < 5; w++) {
                        double v = y.getDouble(((n * 3 + c) * 4 + h) * 5 + w);
                        sum += v;
                        sq += v * v;
                    }
                }
                assertEquals(0, sum / 10, 1e-5);
                assertEquals(1, sq / 10, 1e-4);
            }
        }
    }

    @ParameterizedTest(name = "p = {0}")
    @ValueSource(longs = {1, 2})
    void lpNormalizationMakesUnitRowsAndKeepsZeroRows(long p) {
        Tensor x = SingleNode.random(rnd, 3, 4, 2);
        for (int i = 0; i < 4; i++) {
            x.setFloat((1 * 4 + i) * 2 + 1, 0f);
        }
        Tensor y = SingleNode.node("LpNormalization", 22).attr("axis", 1L).attr("p", p).input(x).outputs(1)
                .runKiln().get(0);
        for (int a = 0; a < 3; a++) {
            for (int c = 0; c < 2; c++) {
                double norm = 0;
                for (int i = 0; i < 4; i++) {
                    double v = y.getDouble((a * 4 + i) * 2 + c);
                    norm += p == 1 ? Math.abs(v) : v * v;
                }
                assertEquals(a == 1 && c == 1 ? 0 : 1, norm, 1e-5);
            }
        }
    }
}

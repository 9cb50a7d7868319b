package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention (opset 23) against ONNX Runtime over combinations the backend tests do not pair:
 * 3-D and 4-D layouts with GQA, boolean and float masks of several ranks, causal masking with a
 * KV cache and soft cap, with the raw (mode 0) and softmax (mode 3) qk_matmul_output. ONNX
 * Runtime applies the soft cap after the mask, where the specification puts it before (the
 * backend tests {@code test_attention_4d_softcap_neginf_mask_poison} and
 * {@code ..._qk_matmul_softcap} check that order and modes 1 and 2), so soft cap is compared
 * here only without masks, and modes 1 and 2 not at all.
 */
class AttentionOracleTest {

    @ParameterizedTest(name = "rank {0}, heads {1}/{2}, mask {3}, causal {4}, past {5}, softcap {6}, mode {7}")
    @CsvSource({
        "4,4,2,none,1,3,0.0,0",
        "4,6,3,bool2,0,2,0.0,3",
        "4,2,2,float4,1,0,0.0,0",
        "4,2,2,none,0,2,1.5,3",
        "3,4,1,float3,0,4,0.0,3",
        "3,6,2,bool4,1,2,0.0,3",
        "3,6,3,none,0,0,2.0,3",
        "4,4,4,float2,0,0,0.0,0",
    })
    void matchesOnnxRuntime(int rank, long hq, long hkv, String mask, int causal, long past, float softcap, int mode) {
        Random rnd = new Random(rank * 1000 + hq * 100 + hkv * 10 + past);
        long b = 2;
        long sq = 3;
        long skv = 5;
        long d = 4;
        long dv = 6;
        long total = past + skv;
        Tensor q = rank == 4 ? SingleNode.random(rnd, b, hq, sq, d) : SingleNode.random(rnd, b, sq, hq * d);
        Tensor k = rank == 4 ? SingleNode.random(rnd, b, hkv, skv, d) : SingleNode.random(rnd, b, skv, hkv * d);
        Tensor v = rank == 4 ? SingleNode.random(rnd, b, hkv, skv, dv) : SingleNode.random(rnd, b, skv, hkv * dv);
        Tensor m = switch (mask) {
            case "bool2" -> bools(rnd, sq, total);
            case "bool4" -> bools(rnd, b, hq, sq, total);
            case "float2" -> SingleNode.random(rnd, sq, total);
            case "float3" -> SingleNode.random(rnd, b, 1, sq, total);
            case "float4" -> SingleNode.random(rnd, b, hq, sq, total);
            default -> null;
        };
        SingleNode o = SingleNode.node("Attention", 23).attr("is_causal", (long) causal)
                .attr("qk_matmul_output_mode", (long) mode);
        if (rank == 3) {
            o.attr("q_num_heads", hq).attr("kv_num_heads", hkv);
        }
        if (softcap > 0) {
            o.attr("softcap", softcap);
        }
        o.input(q).input(k).input(v).input(m);
        if (past > 0) {
            o.input(SingleNode.random(rnd, b, hkv, past, d)).input(SingleNode.random(rnd, b, hkv, past, dv));
        }
        o.output(true).output(past > 0).output(past > 0).output(true);
        assertNull(o.compareWithOrt(1e-4, 1e-5));
    }

    private static Tensor bools(Random rnd, long... shape) {
        Tensor t = Tensor.allocate(DType.BOOL, Shape.of(shape));
        for (long i = 0; i < t.size(); i++) {
            t.setLong(i, rnd.nextInt(4) == 0 ? 0 : 1);
        }
        return t;
    }
}

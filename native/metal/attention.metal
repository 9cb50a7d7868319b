// Fused scaled-dot-product attention (ONNX Attention without a KV cache): one simdgroup per
// query row. Keys go by in chunks of 32, one per lane; an online softmax keeps the running
// maximum and sum, and each lane accumulates the output components lane, lane + 32, ... of
// the weighted sum of values, so no score matrix is ever stored.
#include "kiln_metal.h"

#define ATTN_MAX_V 256

// Strides in elements of the (batch, head, sequence) coordinates of each tensor, whose vectors
// are contiguous; the mask's strides are zero along broadcast dimensions.
struct AttentionParams {
    int q_stride[3];
    int k_stride[3];
    int v_stride[3];
    int y_stride[3];
    int mask_stride[4];
    int q_heads;
    int group;
    int seq_q;
    int seq_kv;
    int head_size;
    int v_size;
    int causal;
    int has_mask;
    float scale;
    float softcap;
};

kernel void kiln_attention_f32(device const float* q [[buffer(0)]],
                               device const float* k [[buffer(1)]],
                               device const float* v [[buffer(2)]],
                               device const float* mask [[buffer(3)]],
                               device float* y [[buffer(4)]],
                               constant AttentionParams& p [[buffer(5)]],
                               uint3 group [[threadgroup_position_in_grid]],
                               uint lane [[thread_index_in_simdgroup]]) {
    int i = (int) group.x;
    int h = (int) group.y;
    int b = (int) group.z;
    int kvh = h / p.group;
    device const float* qv = q + b * p.q_stride[0] + h * p.q_stride[1] + i * p.q_stride[2];
    float acc[ATTN_MAX_V / KILN_SIMD];
    for (int r = 0; r < ATTN_MAX_V / KILN_SIMD; r++) acc[r] = 0.0f;
    float m = -INFINITY;
    float l = 0.0f;
    for (int t0 = 0; t0 < p.seq_kv; t0 += KILN_SIMD) {
        int t = t0 + (int) lane;
        float s = -INFINITY;
        if (t < p.seq_kv && (!p.causal || t <= i)) {
            device const float* kv = k + b * p.k_stride[0] + kvh * p.k_stride[1] + t * p.k_stride[2];
            float d = 0.0f;
            for (int e = 0; e < p.head_size; e++) d = fma(qv[e], kv[e], d);
            s = d * p.scale;
            if (p.softcap > 0.0f) s = p.softcap * tanh(s / p.softcap);
            if (p.has_mask) {
                s += mask[b * p.mask_stride[0] + h * p.mask_stride[1] + i * p.mask_stride[2] + t * p.mask_stride[3]];
            }
        }
        float chunk_max = simd_max(s);
        float next = fmax(m, chunk_max);
        // Until some key is allowed the running state stays empty (exp(-inf - -inf) is NaN).
        float pr = next == -INFINITY ? 0.0f : exp(s - next);
        float correction = next == -INFINITY ? 1.0f : exp(m - next);
        l = l * correction + simd_sum(pr);
        for (int r = 0; r < ATTN_MAX_V / KILN_SIMD; r++) acc[r] *= correction;
        m = next;
        int keys = min(KILN_SIMD, p.seq_kv - t0);
        for (int j = 0; j < keys; j++) {
            float pj = simd_broadcast(pr, (ushort) j);
            device const float* vv = v + b * p.v_stride[0] + kvh * p.v_stride[1] + (t0 + j) * p.v_stride[2];
            for (int r = 0; r * KILN_SIMD + (int) lane < p.v_size; r++) acc[r] = fma(pj, vv[r * KILN_SIMD + (int) lane], acc[r]);
        }
    }
    device float* out = y + b * p.y_stride[0] + h * p.y_stride[1] + i * p.y_stride[2];
    for (int r = 0; r * KILN_SIMD + (int) lane < p.v_size; r++) out[r * KILN_SIMD + (int) lane] = l > 0.0f ? acc[r] / l : 0.0f;
}

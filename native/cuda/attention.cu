// Fused scaled dot-product attention, softmax(Q K^T * scale + mask) V, for Q [bh, lq, d],
// K [bh, lk, d], V [bh, lk, dv], Y [bh, lq, dv], all contiguous. One block per (query row,
// batch-head); the row of scores stays in shared memory, so lk is at most ATTN_MAX_KEYS. The
// additive mask is optional: element (b, i, j) at mask[b * mask_stride_b + i * mask_stride_q + j].
#include "kiln_cuda.cuh"

#define ATTN_MAX_KEYS 2048

extern "C" __global__ void kiln_attention_f32(const float* __restrict__ Q, const float* __restrict__ K,
                                              const float* __restrict__ V, const float* __restrict__ mask,
                                              float* __restrict__ Y, long long mask_stride_b, long long mask_stride_q,
                                              int lq, int lk, int d, int dv, float scale) {
    __shared__ float scores[ATTN_MAX_KEYS];
    __shared__ float partial[32];
    const int i = blockIdx.x;
    const long long bh = blockIdx.y;
    const float* q = Q + (bh * lq + i) * d;
    const float* k = K + bh * lk * d;
    const float* v = V + bh * lk * dv;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < lk; j += blockDim.x) {
        float s = 0.f;
        for (int e = 0; e < d; e++) s = fmaf(q[e], k[(long long) j * d + e], s);
        s *= scale;
        if (mask != nullptr) s += mask[bh * mask_stride_b + (long long) i * mask_stride_q + j];
        scores[j] = s;
        m = fmaxf(m, s);
    }
    m = kiln_block_max(m, partial);
    float sum = 0.f;
    for (int j = threadIdx.x; j < lk; j += blockDim.x) {
        float e = expf(scores[j] - m);
        scores[j] = e;
        sum += e;
    }
    float inv = 1.f / kiln_block_sum(sum, partial);
    __syncthreads();
    float* y = Y + (bh * lq + i) * dv;
    for (int c = threadIdx.x; c < dv; c += blockDim.x) {
        float acc = 0.f;
        for (int j = 0; j < lk; j++) acc = fmaf(scores[j], v[(long long) j * dv + c], acc);
        y[c] = acc * inv;
    }
}

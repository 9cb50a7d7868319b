// Softmax and LogSoftmax over one axis, the tensor seen as [outer, n, inner]. inner == 1: one
// block per row with block-wide reductions; otherwise one thread per (outer, inner) column.
#include "kiln_cuda.cuh"

extern "C" __global__ void kiln_softmax_rows_f32(const float* __restrict__ X, float* __restrict__ Y, int n, int log_softmax) {
    __shared__ float partial[32];
    const float* x = X + (long long) blockIdx.x * n;
    float* y = Y + (long long) blockIdx.x * n;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, x[i]);
    m = kiln_block_max(m, partial);
    float s = 0.f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += expf(x[i] - m);
    s = kiln_block_sum(s, partial);
    if (log_softmax) {
        float ls = logf(s);
        for (int i = threadIdx.x; i < n; i += blockDim.x) y[i] = x[i] - m - ls;
    } else {
        float inv = 1.f / s;
        for (int i = threadIdx.x; i < n; i += blockDim.x) y[i] = expf(x[i] - m) * inv;
    }
}

extern "C" __global__ void kiln_softmax_strided_f32(const float* __restrict__ X, float* __restrict__ Y, long long outer,
                                                    int n, long long inner, int log_softmax) {
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < outer * inner; t += (long long) gridDim.x * blockDim.x) {
        long long base = (t / inner) * n * inner + t % inner;
        float m = -INFINITY;
        for (int i = 0; i < n; i++) m = fmaxf(m, X[base + i * inner]);
        float s = 0.f;
        for (int i = 0; i < n; i++) s += expf(X[base + i * inner] - m);
        float ls = logf(s);
        for (int i = 0; i < n; i++) {
            float v = X[base + i * inner] - m;
            Y[base + i * inner] = log_softmax ? v - ls : expf(v) / s;
        }
    }
}

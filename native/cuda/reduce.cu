// Reductions over contiguous axes, the tensor seen as [outer, r, inner]. inner == 1: one block
// per output with block-wide reductions; otherwise one thread per output.
#include "kiln_cuda.cuh"

enum ReduceOp { RED_SUM = 0, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_SUM_SQUARE, RED_L1, RED_L2, RED_LOG_SUM, RED_LOG_SUM_EXP };

__device__ __forceinline__ float kiln_reduce_init(int op) {
    switch (op) {
        case RED_MAX: return -INFINITY;
        case RED_MIN: return INFINITY;
        case RED_PROD: return 1.f;
        default: return 0.f;
    }
}

__device__ __forceinline__ float kiln_reduce_step(int op, float acc, float v, float shift) {
    switch (op) {
        case RED_MAX: return (v > acc || v != v) ? v : acc;
        case RED_MIN: return (v < acc || v != v) ? v : acc;
        case RED_PROD: return acc * v;
        case RED_SUM_SQUARE: case RED_L2: return acc + v * v;
        case RED_L1: return acc + fabsf(v);
        case RED_LOG_SUM_EXP: return acc + expf(v - shift);
        default: return acc + v;
    }
}

__device__ __forceinline__ float kiln_reduce_finish(int op, float acc, int r, float shift) {
    switch (op) {
        case RED_MEAN: return acc / (float) r;
        case RED_L2: return sqrtf(acc);
        case RED_LOG_SUM: return logf(acc);
        case RED_LOG_SUM_EXP: return logf(acc) + shift;
        default: return acc;
    }
}

extern "C" __global__ void kiln_reduce_rows_f32(const float* __restrict__ X, float* __restrict__ Y, int r, int op) {
    __shared__ float partial[32];
    __shared__ float product[1024];
    const float* x = X + (long long) blockIdx.x * r;
    float shift = 0.f;
    if (op == RED_LOG_SUM_EXP) {
        float m = -INFINITY;
        for (int i = threadIdx.x; i < r; i += blockDim.x) m = fmaxf(m, x[i]);
        shift = kiln_block_max(m, partial);
        if (shift == -INFINITY || shift == INFINITY) shift = 0.f;
    }
    float acc = kiln_reduce_init(op);
    for (int i = threadIdx.x; i < r; i += blockDim.x) acc = kiln_reduce_step(op, acc, x[i], shift);
    float total;
    if (op == RED_MAX) {
        total = kiln_block_max(acc, partial);
    } else if (op == RED_MIN) {
        total = -kiln_block_max(-acc, partial);
    } else if (op == RED_PROD) {
        // No shuffle helper for products: thread 0 multiplies the partial products.
        product[threadIdx.x] = acc;
        __syncthreads();
        total = 1.f;
        for (int i = 0; i < (int) blockDim.x; i++) total *= product[i];
        __syncthreads();
    } else {
        total = kiln_block_sum(acc, partial);
    }
    if (threadIdx.x == 0) Y[blockIdx.x] = kiln_reduce_finish(op, total, r, shift);
}

extern "C" __global__ void kiln_reduce_strided_f32(const float* __restrict__ X, float* __restrict__ Y, long long outer, int r,
                                                   long long inner, int op) {
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < outer * inner; t += (long long) gridDim.x * blockDim.x) {
        long long base = (t / inner) * r * inner + t % inner;
        float shift = 0.f;
        if (op == RED_LOG_SUM_EXP) {
            float m = -INFINITY;
            for (int i = 0; i < r; i++) m = fmaxf(m, X[base + i * inner]);
            shift = (m == -INFINITY || m == INFINITY) ? 0.f : m;
        }
        float acc = kiln_reduce_init(op);
        for (int i = 0; i < r; i++) acc = kiln_reduce_step(op, acc, X[base + i * inner], shift);
        Y[t] = kiln_reduce_finish(op, acc, r, shift);
    }
}

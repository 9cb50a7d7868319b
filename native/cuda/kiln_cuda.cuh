// Shared by every Kiln kernel: parameter structs passed by value (their layout is mirrored by
// the Java side, so only 4- and 8-byte fields, 8-byte fields first), the activation of fused
// epilogues, and block-wide reductions.
#pragma once

#define KILN_MAX_RANK 6

// A strided walk over up to KILN_MAX_RANK dimensions: element c (row-major over dims) reads
// in + sum(coord_d * in_stride_d) and writes out + sum(coord_d * out_stride_d); strides in elements.
struct StridedParams {
    long long in_stride[KILN_MAX_RANK];
    long long out_stride[KILN_MAX_RANK];
    long long in_offset;
    long long out_offset;
    int dims[KILN_MAX_RANK];
    int rank;
    int pad;
};

// Broadcasting of two inputs to an output of up to KILN_MAX_RANK dims; strides in elements,
// zero along broadcast dimensions.
struct BroadcastParams {
    long long a_stride[KILN_MAX_RANK];
    long long b_stride[KILN_MAX_RANK];
    int dims[KILN_MAX_RANK];
    int rank;
    int pad;
};

// Activations of fused epilogues (the codes mirror dev.kiln.cuda.kernels.Epilogue).
enum KilnActivation {
    ACT_NONE = 0,
    ACT_RELU = 1,
    ACT_LEAKY_RELU = 2,
    ACT_CLIP = 3,
    ACT_SIGMOID = 4,
    ACT_HARD_SIGMOID = 5,
    ACT_HARD_SWISH = 6,
    ACT_SILU = 7,
    ACT_GELU = 8,
    ACT_GELU_TANH = 9,
    ACT_TANH = 10,
};

__device__ __forceinline__ float kiln_activate(float x, int act, float alpha, float beta) {
    switch (act) {
        case ACT_RELU: return x > 0.f ? x : 0.f;
        case ACT_LEAKY_RELU: return x < 0.f ? alpha * x : x;
        case ACT_CLIP: return fminf(fmaxf(x, alpha), beta);
        case ACT_SIGMOID: return 1.f / (1.f + expf(-x));
        case ACT_HARD_SIGMOID: return fmaxf(0.f, fminf(1.f, alpha * x + beta));
        case ACT_HARD_SWISH: return x * fmaxf(0.f, fminf(1.f, x / 6.f + 0.5f));
        case ACT_SILU: return x / (1.f + expf(-x));
        case ACT_GELU: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
        case ACT_GELU_TANH: return 0.5f * x * (1.f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
        case ACT_TANH: return tanhf(x);
        default: return x;
    }
}

// Reductions across a block of blockDim.x threads (a multiple of 32, at most 1024). Every thread
// of the block must call them; every thread gets the result.
__device__ __forceinline__ float kiln_warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float kiln_warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ float kiln_block_sum(float v, float* shared32) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = kiln_warp_sum(v);
    __syncthreads();
    if (lane == 0) shared32[warp] = v;
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = lane < warps ? shared32[lane] : 0.f;
    return kiln_warp_sum(v);
}

__device__ __forceinline__ float kiln_block_max(float v, float* shared32) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = kiln_warp_max(v);
    __syncthreads();
    if (lane == 0) shared32[warp] = v;
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = lane < warps ? shared32[lane] : -INFINITY;
    return kiln_warp_max(v);
}

// Shared by every Kiln Metal kernel: parameter structs (only 4-byte int and float fields, so
// their layout is the same in MSL, in C++ and in dev.kiln.metal.kernels.ParamStruct), the
// activations, and threadgroup-wide reductions. At Session open the Java side concatenates
// this header and every .metal file into one source for newLibraryWithSource.
#pragma once
#include <metal_stdlib>
using namespace metal;

#define KILN_MAX_RANK 6
#define KILN_SIMD 32

// Broadcasting of two inputs to an output of up to KILN_MAX_RANK dims; strides in elements,
// zero along broadcast dimensions.
struct BroadcastParams {
    int a_stride[KILN_MAX_RANK];
    int b_stride[KILN_MAX_RANK];
    int dims[KILN_MAX_RANK];
    int rank;
    int n;
};

// Activations (codes mirror dev.kiln.metal.kernels.ElementwiseKernels).
enum KilnUnary {
    UN_RELU = 0, UN_LEAKY_RELU, UN_SIGMOID, UN_TANH, UN_EXP, UN_LOG, UN_SQRT, UN_RECIPROCAL, UN_NEG, UN_ABS,
    UN_ERF, UN_GELU, UN_GELU_TANH, UN_SOFTPLUS, UN_HARD_SIGMOID, UN_HARD_SWISH, UN_CLIP, UN_ELU, UN_FLOOR, UN_CEIL,
    UN_IDENTITY, UN_SIN, UN_COS, UN_SELU
};

// MSL has no erf: Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), odd-extended.
inline float kiln_erf(float x) {
    float s = x < 0.0f ? -1.0f : 1.0f;
    float a = fabs(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    return s * (1.0f - p * exp(-a * a));
}

inline float kiln_unary(int op, float x, float alpha, float beta) {
    switch (op) {
        case UN_RELU: return x > 0.0f ? x : 0.0f;
        case UN_LEAKY_RELU: return x < 0.0f ? alpha * x : x;
        case UN_SIGMOID: return 1.0f / (1.0f + exp(-x));
        case UN_TANH: return tanh(x);
        case UN_EXP: return exp(x);
        case UN_LOG: return log(x);
        case UN_SQRT: return sqrt(x);
        case UN_RECIPROCAL: return 1.0f / x;
        case UN_NEG: return -x;
        case UN_ABS: return fabs(x);
        case UN_ERF: return kiln_erf(x);
        case UN_GELU: return 0.5f * x * (1.0f + kiln_erf(x * 0.70710678118654752f));
        case UN_GELU_TANH: return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
        case UN_SOFTPLUS: return x > 20.0f ? x : log(1.0f + exp(x));
        case UN_HARD_SIGMOID: return fmax(0.0f, fmin(1.0f, alpha * x + beta));
        case UN_HARD_SWISH: return x * fmax(0.0f, fmin(1.0f, x / 6.0f + 0.5f));
        case UN_CLIP: return fmin(fmax(x, alpha), beta);
        case UN_ELU: return x < 0.0f ? alpha * (exp(x) - 1.0f) : x;
        case UN_FLOOR: return floor(x);
        case UN_CEIL: return ceil(x);
        case UN_SIN: return sin(x);
        case UN_COS: return cos(x);
        case UN_SELU: return x <= 0.0f ? beta * (alpha * exp(x) - alpha) : beta * x;
        default: return x;
    }
}

// Threadgroup memory is always a [[threadgroup(n)]] kernel parameter sized by the host, never an
// array declared in a kernel, so the CPU emulator can give each threadgroup its own.
//
// Sum and maximum over a threadgroup of `count` threads (a multiple of 32, at most 1024): every
// thread of the threadgroup must call them, and every thread gets the result. `scratch` is a
// threadgroup array of 32 floats; the leading barrier lets a caller reuse it right away.
inline float kiln_group_sum(float v, threadgroup float* scratch, uint tid, uint count) {
    uint lane = tid % KILN_SIMD;
    uint group = tid / KILN_SIMD;
    v = simd_sum(v);
    threadgroup_barrier(mem_flags::mem_threadgroup);
    if (lane == 0) scratch[group] = v;
    threadgroup_barrier(mem_flags::mem_threadgroup);
    v = lane < count / KILN_SIMD ? scratch[lane] : 0.0f;
    return simd_sum(v);
}

inline float kiln_group_max(float v, threadgroup float* scratch, uint tid, uint count) {
    uint lane = tid % KILN_SIMD;
    uint group = tid / KILN_SIMD;
    v = simd_max(v);
    threadgroup_barrier(mem_flags::mem_threadgroup);
    if (lane == 0) scratch[group] = v;
    threadgroup_barrier(mem_flags::mem_threadgroup);
    v = lane < count / KILN_SIMD ? scratch[lane] : -INFINITY;
    return simd_max(v);
}

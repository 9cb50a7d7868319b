// Elementwise kernels: binary operators with broadcasting, unary operators, Cast, and per-tensor
// or per-axis QuantizeLinear / DequantizeLinear (8-bit). One thread per element, grid-stride.
#include "kiln_cuda.cuh"

enum BinaryOp { BIN_ADD = 0, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW, BIN_MAX, BIN_MIN, BIN_PRELU };

__device__ __forceinline__ float kiln_binary(int op, float a, float b) {
    switch (op) {
        case BIN_ADD: return a + b;
        case BIN_SUB: return a - b;
        case BIN_MUL: return a * b;
        case BIN_DIV: return a / b;
        case BIN_POW: return powf(a, b);
        case BIN_MAX: return (a != a || b != b) ? a + b : fmaxf(a, b);
        case BIN_MIN: return (a != a || b != b) ? a + b : fminf(a, b);
        case BIN_PRELU: return a < 0.f ? b * a : a;
        default: return 0.f;
    }
}

extern "C" __global__ void kiln_binary_f32(const float* __restrict__ a, const float* __restrict__ b,
                                           float* __restrict__ y, long long n, int op, BroadcastParams p) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        long long rest = i, ia = 0, ib = 0;
        for (int d = p.rank - 1; d >= 0; d--) {
            long long c = rest % p.dims[d];
            rest /= p.dims[d];
            ia += c * p.a_stride[d];
            ib += c * p.b_stride[d];
        }
        y[i] = kiln_binary(op, a[ia], b[ib]);
    }
}

enum UnaryOp {
    UN_RELU = 0, UN_LEAKY_RELU, UN_SIGMOID, UN_TANH, UN_EXP, UN_LOG, UN_SQRT, UN_RECIPROCAL, UN_NEG, UN_ABS,
    UN_ERF, UN_GELU, UN_GELU_TANH, UN_SOFTPLUS, UN_HARD_SIGMOID, UN_HARD_SWISH, UN_CLIP, UN_ELU, UN_FLOOR, UN_CEIL,
    UN_IDENTITY, UN_SIN, UN_COS, UN_SELU
};

__device__ __forceinline__ float kiln_unary(int op, float x, float alpha, float beta) {
    switch (op) {
        case UN_RELU: return kiln_activate(x, ACT_RELU, 0.f, 0.f);
        case UN_LEAKY_RELU: return kiln_activate(x, ACT_LEAKY_RELU, alpha, 0.f);
        case UN_SIGMOID: return kiln_activate(x, ACT_SIGMOID, 0.f, 0.f);
        case UN_TANH: return tanhf(x);
        case UN_EXP: return expf(x);
        case UN_LOG: return logf(x);
        case UN_SQRT: return sqrtf(x);
        case UN_RECIPROCAL: return 1.f / x;
        case UN_NEG: return -x;
        case UN_ABS: return fabsf(x);
        case UN_ERF: return erff(x);
        case UN_GELU: return kiln_activate(x, ACT_GELU, 0.f, 0.f);
        case UN_GELU_TANH: return kiln_activate(x, ACT_GELU_TANH, 0.f, 0.f);
        case UN_SOFTPLUS: return x > 20.f ? x : log1pf(expf(x));
        case UN_HARD_SIGMOID: return kiln_activate(x, ACT_HARD_SIGMOID, alpha, beta);
        case UN_HARD_SWISH: return kiln_activate(x, ACT_HARD_SWISH, 0.f, 0.f);
        case UN_CLIP: return kiln_activate(x, ACT_CLIP, alpha, beta);
        case UN_ELU: return x < 0.f ? alpha * (expf(x) - 1.f) : x;
        case UN_FLOOR: return floorf(x);
        case UN_CEIL: return ceilf(x);
        case UN_IDENTITY: return x;
        case UN_SIN: return sinf(x);
        case UN_COS: return cosf(x);
        case UN_SELU: return x <= 0.f ? beta * (alpha * expf(x) - alpha) : beta * x;
        default: return 0.f;
    }
}

extern "C" __global__ void kiln_unary_f32(const float* __restrict__ x, float* __restrict__ y, long long n, int op,
                                          float alpha, float beta) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        y[i] = kiln_unary(op, x[i], alpha, beta);
    }
}

// Cast between float, int32, int64, uint8, int8 and bool (codes mirror dev.kiln.cuda.kernels.CastKernels).
enum CastType { CT_F32 = 0, CT_I32, CT_I64, CT_U8, CT_I8, CT_BOOL };

__device__ __forceinline__ double kiln_load(const void* p, long long i, int t) {
    switch (t) {
        case CT_F32: return ((const float*) p)[i];
        case CT_I32: return ((const int*) p)[i];
        case CT_I64: return (double) ((const long long*) p)[i];
        case CT_U8: return ((const unsigned char*) p)[i];
        case CT_I8: return ((const signed char*) p)[i];
        default: return ((const unsigned char*) p)[i] != 0 ? 1.0 : 0.0;
    }
}

extern "C" __global__ void kiln_cast(const void* __restrict__ x, void* __restrict__ y, long long n, int from, int to) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        if (from == CT_I64 && to == CT_I32) {
            ((int*) y)[i] = (int) ((const long long*) x)[i];
            continue;
        }
        if (to == CT_I64 && from != CT_F32) {
            ((long long*) y)[i] = from == CT_I32 ? ((const int*) x)[i] : (long long) kiln_load(x, i, from);
            continue;
        }
        double v = kiln_load(x, i, from);
        switch (to) {
            case CT_F32: ((float*) y)[i] = (float) v; break;
            case CT_I32: ((int*) y)[i] = (int) v; break;
            case CT_I64: ((long long*) y)[i] = (long long) v; break;
            case CT_U8: ((unsigned char*) y)[i] = (unsigned char) (int) v; break;
            case CT_I8: ((signed char*) y)[i] = (signed char) (int) v; break;
            default: ((unsigned char*) y)[i] = v != 0.0 ? 1 : 0; break;
        }
    }
}

// y = (x - zero_point) * scale; scale and zero point per channel (channels == 1: per tensor),
// channel of element i = (i / inner) % channels. zero_point may be null.
extern "C" __global__ void kiln_dequantize_8(const void* __restrict__ x, const float* __restrict__ scale,
                                             const void* __restrict__ zero_point, float* __restrict__ y, long long n,
                                             int is_signed, int channels, long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = (int) ((i / inner) % channels);
        int v = is_signed ? ((const signed char*) x)[i] : ((const unsigned char*) x)[i];
        int z = zero_point == nullptr ? 0
                : (is_signed ? ((const signed char*) zero_point)[c] : ((const unsigned char*) zero_point)[c]);
        y[i] = (float) (v - z) * scale[c];
    }
}

// y = saturate(round_half_even(x / scale) + zero_point).
extern "C" __global__ void kiln_quantize_8(const float* __restrict__ x, const float* __restrict__ scale,
                                           const void* __restrict__ zero_point, void* __restrict__ y, long long n,
                                           int is_signed, int channels, long long inner) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = (int) ((i / inner) % channels);
        int z = zero_point == nullptr ? 0
                : (is_signed ? ((const signed char*) zero_point)[c] : ((const unsigned char*) zero_point)[c]);
        float q = rintf(x[i] / scale[c]) + (float) z;
        if (is_signed) {
            ((signed char*) y)[i] = (signed char) fminf(127.f, fmaxf(-128.f, q));
        } else {
            ((unsigned char*) y)[i] = (unsigned char) fminf(255.f, fmaxf(0.f, q));
        }
    }
}

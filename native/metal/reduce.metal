// Reductions over a contiguous run of axes, the input seen as [outer, r, inner]. Rows
// (inner == 1) get one threadgroup each, reduced with simd_sum/simd_max; otherwise one thread
// per output walks its column, so neighbouring threads read neighbouring elements.
#include "kiln_metal.h"

// Codes mirror dev.kiln.metal.kernels.ReduceKernels.
enum KilnReduce { RED_SUM = 0, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_SUM_SQUARE, RED_L1, RED_L2, RED_LOG_SUM,
                  RED_LOG_SUM_EXP };

struct ReduceParams {
    int outer;
    int r;
    int inner;
    int op;
};

inline float kiln_reduce_init(int op) {
    switch (op) {
        case RED_MAX: case RED_LOG_SUM_EXP: return -INFINITY;
        case RED_MIN: return INFINITY;
        case RED_PROD: return 1.0f;
        default: return 0.0f;
    }
}

// The term element v contributes; for LogSumExp, after the maximum m is known.
inline float kiln_reduce_term(int op, float v, float m) {
    switch (op) {
        case RED_SUM_SQUARE: case RED_L2: return v * v;
        case RED_L1: return fabs(v);
        case RED_LOG_SUM_EXP: return exp(v - m);
        default: return v;
    }
}

inline float kiln_reduce_combine(int op, float acc, float t) {
    switch (op) {
        case RED_MAX: return (isnan(acc) || isnan(t)) ? acc + t : fmax(acc, t);
        case RED_MIN: return (isnan(acc) || isnan(t)) ? acc + t : fmin(acc, t);
        case RED_PROD: return acc * t;
        default: return acc + t;
    }
}

inline float kiln_reduce_finish(int op, float acc, float m, int r) {
    switch (op) {
        case RED_MEAN: return acc / (float) r;
        case RED_L2: return sqrt(acc);
        case RED_LOG_SUM: return log(acc);
        case RED_LOG_SUM_EXP: return m + log(acc);
        default: return acc;
    }
}

kernel void kiln_reduce_cols_f32(device const float* x [[buffer(0)]],
                                 device float* y [[buffer(1)]],
                                 constant ReduceParams& p [[buffer(2)]],
                                 uint i [[thread_position_in_grid]]) {
    if ((int) i >= p.outer * p.inner) return;
    int o = (int) i / p.inner;
    int in = (int) i % p.inner;
    device const float* col = x + o * p.r * p.inner + in;
    float m = 0.0f;
    if (p.op == RED_LOG_SUM_EXP) {
        m = -INFINITY;
        for (int j = 0; j < p.r; j++) m = fmax(m, col[j * p.inner]);
        if (isinf(m)) m = 0.0f;
    }
    int op = p.op == RED_LOG_SUM_EXP ? RED_SUM : p.op;
    float acc = kiln_reduce_init(op);
    for (int j = 0; j < p.r; j++) acc = kiln_reduce_combine(op, acc, kiln_reduce_term(p.op, col[j * p.inner], m));
    y[i] = kiln_reduce_finish(p.op, acc, m, p.r);
}

// One threadgroup of `threads` (a multiple of 32) per row; threadgroup(0) holds 32 floats.
kernel void kiln_reduce_rows_f32(device const float* x [[buffer(0)]],
                                 device float* y [[buffer(1)]],
                                 constant ReduceParams& p [[buffer(2)]],
                                 threadgroup float* scratch [[threadgroup(0)]],
                                 uint row [[threadgroup_position_in_grid]],
                                 uint tid [[thread_index_in_threadgroup]],
                                 uint threads [[threads_per_threadgroup]]) {
    device const float* v = x + (int) row * p.r;
    float m = 0.0f;
    if (p.op == RED_LOG_SUM_EXP) {
        float local = -INFINITY;
        for (int j = (int) tid; j < p.r; j += (int) threads) local = fmax(local, v[j]);
        m = kiln_group_max(local, scratch, tid, threads);
        if (isinf(m)) m = 0.0f;
    }
    int op = p.op == RED_LOG_SUM_EXP ? RED_SUM : p.op;
    float acc = kiln_reduce_init(op);
    for (int j = (int) tid; j < p.r; j += (int) threads) acc = kiln_reduce_combine(op, acc, kiln_reduce_term(p.op, v[j], m));
    // Max, min and product have no simd_ shortcut here: partial results go through threadgroup memory.
    if (op == RED_MAX || op == RED_MIN || op == RED_PROD) {
        threadgroup_barrier(mem_flags::mem_threadgroup);
        if (tid < KILN_SIMD) scratch[tid] = kiln_reduce_init(op);
        threadgroup_barrier(mem_flags::mem_threadgroup);
        for (uint s = 0; s < threads; s += KILN_SIMD) {
            if (tid >= s && tid < s + KILN_SIMD) scratch[tid - s] = kiln_reduce_combine(op, scratch[tid - s], acc);
            threadgroup_barrier(mem_flags::mem_threadgroup);
        }
        if (tid == 0) {
            float r = kiln_reduce_init(op);
            for (int l = 0; l < KILN_SIMD; l++) r = kiln_reduce_combine(op, r, scratch[l]);
            y[row] = kiln_reduce_finish(p.op, r, m, p.r);
        }
    } else {
        float total = kiln_group_sum(acc, scratch, tid, threads);
        if (tid == 0) y[row] = kiln_reduce_finish(p.op, total, m, p.r);
    }
}

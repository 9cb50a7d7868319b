// Softmax and LogSoftmax along one axis, the input seen as [outer, len, inner]. Rows
// (inner == 1) get one threadgroup each; otherwise one thread per (outer, inner) column.
#include "kiln_metal.h"

struct SoftmaxParams {
    int outer;
    int len;
    int inner;
    int log_softmax;
};

// One threadgroup of `threads` (a multiple of 32) per row; threadgroup(0) holds 32 floats.
kernel void kiln_softmax_rows_f32(device const float* x [[buffer(0)]],
                                  device float* y [[buffer(1)]],
                                  constant SoftmaxParams& p [[buffer(2)]],
                                  threadgroup float* scratch [[threadgroup(0)]],
                                  uint row [[threadgroup_position_in_grid]],
                                  uint tid [[thread_index_in_threadgroup]],
                                  uint threads [[threads_per_threadgroup]]) {
    device const float* v = x + (int) row * p.len;
    device float* out = y + (int) row * p.len;
    float m = -INFINITY;
    for (int j = (int) tid; j < p.len; j += (int) threads) m = fmax(m, v[j]);
    m = kiln_group_max(m, scratch, tid, threads);
    float s = 0.0f;
    for (int j = (int) tid; j < p.len; j += (int) threads) s += exp(v[j] - m);
    s = kiln_group_sum(s, scratch, tid, threads);
    float ls = log(s);
    for (int j = (int) tid; j < p.len; j += (int) threads) {
        out[j] = p.log_softmax ? v[j] - m - ls : exp(v[j] - m) / s;
    }
}

kernel void kiln_softmax_cols_f32(device const float* x [[buffer(0)]],
                                  device float* y [[buffer(1)]],
                                  constant SoftmaxParams& p [[buffer(2)]],
                                  uint i [[thread_position_in_grid]]) {
    if ((int) i >= p.outer * p.inner) return;
    int base = ((int) i / p.inner) * p.len * p.inner + (int) i % p.inner;
    float m = -INFINITY;
    for (int j = 0; j < p.len; j++) m = fmax(m, x[base + j * p.inner]);
    float s = 0.0f;
    for (int j = 0; j < p.len; j++) s += exp(x[base + j * p.inner] - m);
    float ls = log(s);
    for (int j = 0; j < p.len; j++) {
        float v = x[base + j * p.inner];
        y[base + j * p.inner] = p.log_softmax ? v - m - ls : exp(v - m) / s;
    }
}

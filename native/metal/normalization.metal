// LayerNormalization over the trailing dims, the input seen as [rows, len]: one threadgroup per
// row, mean first and then the variance around it (two passes over the row, which stays in
// cache, with the mean's rounding corrected), so large offsets do not cancel.
#include "kiln_metal.h"

struct LayerNormParams {
    int len;
    int scale_stride;
    int bias_stride;
    int has_bias;
    int has_mean;
    int has_inv_std;
    float epsilon;
};

// threadgroup(0) holds 32 floats; threads per threadgroup is a multiple of 32.
kernel void kiln_layer_norm_f32(device const float* x [[buffer(0)]],
                                device const float* scale [[buffer(1)]],
                                device const float* bias [[buffer(2)]],
                                device float* y [[buffer(3)]],
                                device float* mean_out [[buffer(4)]],
                                device float* inv_std_out [[buffer(5)]],
                                constant LayerNormParams& p [[buffer(6)]],
                                threadgroup float* scratch [[threadgroup(0)]],
                                uint row [[threadgroup_position_in_grid]],
                                uint tid [[thread_index_in_threadgroup]],
                                uint threads [[threads_per_threadgroup]]) {
    device const float* v = x + (int) row * p.len;
    device float* out = y + (int) row * p.len;
    float s = 0.0f;
    for (int j = (int) tid; j < p.len; j += (int) threads) s += v[j];
    float mean = kiln_group_sum(s, scratch, tid, threads) / (float) p.len;
    // Corrected two-pass: v - mean is exact (Sterbenz) but mean carries its float rounding;
    // the mean of the differences measures that rounding and is taken out of every term.
    float q = 0.0f;
    float r = 0.0f;
    for (int j = (int) tid; j < p.len; j += (int) threads) {
        float d = v[j] - mean;
        q += d * d;
        r += d;
    }
    float resid = kiln_group_sum(r, scratch, tid, threads) / (float) p.len;
    float var = fmax(kiln_group_sum(q, scratch, tid, threads) / (float) p.len - resid * resid, 0.0f);
    float inv = 1.0f / sqrt(var + p.epsilon);
    for (int j = (int) tid; j < p.len; j += (int) threads) {
        float n = (v[j] - mean - resid) * inv * scale[j * p.scale_stride];
        out[j] = p.has_bias ? n + bias[j * p.bias_stride] : n;
    }
    if (tid == 0) {
        if (p.has_mean) mean_out[row] = mean + resid;
        if (p.has_inv_std) inv_std_out[row] = inv;
    }
}

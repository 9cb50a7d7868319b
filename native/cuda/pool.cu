// Pooling: MaxPool and AveragePool over 2-D windows (1-D as H = 1), one thread per output
// element; GlobalAveragePool and GlobalMaxPool, one block per (image, channel) plane.
#include "kiln_cuda.cuh"

struct PoolParams {
    long long planes;  // N * C
    int h, w, oh, ow;
    int kh, kw;
    int stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int dil_h, dil_w;
    int is_max;
    int count_include_pad;
};

extern "C" __global__ void kiln_pool2d_f32(const float* __restrict__ X, float* __restrict__ Y, PoolParams p) {
    long long total = p.planes * p.oh * p.ow;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total; i += (long long) gridDim.x * blockDim.x) {
        int ox = (int) (i % p.ow);
        int oy = (int) ((i / p.ow) % p.oh);
        long long plane = i / ((long long) p.ow * p.oh);
        const float* x = X + plane * p.h * p.w;
        float best = -INFINITY;
        float sum = 0.f;
        int count = 0, padded = 0;
        for (int ky = 0; ky < p.kh; ky++) {
            int iy = oy * p.stride_h - p.pad_top + ky * p.dil_h;
            for (int kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.stride_w - p.pad_left + kx * p.dil_w;
                if (iy >= -p.pad_top && iy < p.h + p.pad_bottom && ix >= -p.pad_left && ix < p.w + p.pad_right) padded++;
                if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                float v = x[iy * p.w + ix];
                best = (v > best || v != v) ? v : best;
                sum += v;
                count++;
            }
        }
        Y[i] = p.is_max ? best : sum / (float) (p.count_include_pad ? padded : count);
    }
}

extern "C" __global__ void kiln_global_pool_f32(const float* __restrict__ X, float* __restrict__ Y, long long plane_size,
                                                int is_max) {
    __shared__ float partial[32];
    const float* x = X + blockIdx.x * plane_size;
    float acc = is_max ? -INFINITY : 0.f;
    for (long long i = threadIdx.x; i < plane_size; i += blockDim.x) acc = is_max ? fmaxf(acc, x[i]) : acc + x[i];
    float r = is_max ? kiln_block_max(acc, partial) : kiln_block_sum(acc, partial);
    if (threadIdx.x == 0) Y[blockIdx.x] = is_max ? r : r / (float) plane_size;
}

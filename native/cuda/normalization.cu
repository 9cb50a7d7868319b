// Normalizations. LayerNormalization over the trailing `cols` elements of each row: one block per row, mean
// then variance in two passes (more accurate than E[x^2] - E[x]^2). Scale and bias have `cols`
// elements (bias optional); Mean and InvStdDev are written when their pointers are not null.
#include "kiln_cuda.cuh"

extern "C" __global__ void kiln_layernorm_f32(const float* __restrict__ X, const float* __restrict__ scale,
                                              const float* __restrict__ bias, float* __restrict__ Y,
                                              float* __restrict__ mean_out, float* __restrict__ inv_std_out, int cols,
                                              float epsilon) {
    __shared__ float partial[32];
    const float* x = X + (long long) blockIdx.x * cols;
    float* y = Y + (long long) blockIdx.x * cols;
    float s = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) s += x[i];
    float mean = kiln_block_sum(s, partial) / (float) cols;
    float v = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float d = x[i] - mean;
        v += d * d;
    }
    float inv_std = rsqrtf(kiln_block_sum(v, partial) / (float) cols + epsilon);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float r = (x[i] - mean) * inv_std * scale[i];
        y[i] = bias != nullptr ? r + bias[i] : r;
    }
    if (threadIdx.x == 0) {
        if (mean_out != nullptr) mean_out[blockIdx.x] = mean;
        if (inv_std_out != nullptr) inv_std_out[blockIdx.x] = inv_std;
    }
}

// BatchNormalization in inference mode: y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c],
// channel of element i = (i / inner) % channels. One thread per element.
extern "C" __global__ void kiln_batchnorm_f32(const float* __restrict__ X, const float* __restrict__ scale,
                                              const float* __restrict__ bias, const float* __restrict__ mean,
                                              const float* __restrict__ var, float* __restrict__ Y, long long n,
                                              int channels, long long inner, float epsilon) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        int c = (int) ((i / inner) % channels);
        Y[i] = (X[i] - mean[c]) / sqrtf(var[c] + epsilon) * scale[c] + bias[c];
    }
}

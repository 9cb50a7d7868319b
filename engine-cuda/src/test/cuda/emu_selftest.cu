// Kernels that break (or keep) the rules of the CUDA execution model, to show the emulator
// catches what a GPU would get wrong silently. Compiled into the emulator only.
#include "kiln_cuda.cuh"

// Correct: block-wide sum through warp shuffles and shared memory.
extern "C" __global__ void selftest_block_sum(const float* x, float* y, int n) {
    __shared__ float partial[32];
    float v = 0.f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) v += x[i];
    v = kiln_block_sum(v, partial);
    if (threadIdx.x == 0) y[blockIdx.x] = v;
}

// Wrong: threads past n return before the barrier the others wait at.
extern "C" __global__ void selftest_early_exit(float* y, int n) {
    __shared__ float s[256];
    if ((int) threadIdx.x >= n) return;
    s[threadIdx.x] = 1.f;
    __syncthreads();
    y[threadIdx.x] = s[(threadIdx.x + 1) % n];
}

// Wrong: half the block waits at a barrier, the other half in a warp shuffle.
extern "C" __global__ void selftest_deadlock(float* y) {
    if (threadIdx.x < 32) {
        __syncthreads();
    } else {
        y[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.f, 1);
    }
}

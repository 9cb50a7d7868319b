// Data movement as strided copies (Transpose, Slice, Expand, Concat: see StridedParams), and
// Gather along one axis with indices checked on the host when the kernel was bound.
#include "kiln_cuda.cuh"

template <class T>
__device__ __forceinline__ void kiln_strided(const T* __restrict__ x, T* __restrict__ y, long long n, const StridedParams& p) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        long long rest = i, in = p.in_offset, out = p.out_offset;
        for (int d = p.rank - 1; d >= 0; d--) {
            long long c = rest % p.dims[d];
            rest /= p.dims[d];
            in += c * p.in_stride[d];
            out += c * p.out_stride[d];
        }
        y[out] = x[in];
    }
}

extern "C" __global__ void kiln_strided_copy_1(const unsigned char* x, unsigned char* y, long long n, StridedParams p) { kiln_strided(x, y, n, p); }
extern "C" __global__ void kiln_strided_copy_2(const unsigned short* x, unsigned short* y, long long n, StridedParams p) { kiln_strided(x, y, n, p); }
extern "C" __global__ void kiln_strided_copy_4(const unsigned int* x, unsigned int* y, long long n, StridedParams p) { kiln_strided(x, y, n, p); }
extern "C" __global__ void kiln_strided_copy_8(const unsigned long long* x, unsigned long long* y, long long n, StridedParams p) { kiln_strided(x, y, n, p); }

// y[o, j, i] = x[o, idx[j], i] for x [outer, axis, inner] and non-negative indices below axis.
extern "C" __global__ void kiln_gather(const unsigned char* __restrict__ X, const long long* __restrict__ idx,
                                       unsigned char* __restrict__ Y, long long outer, long long axis, long long count,
                                       long long inner_bytes) {
    long long total = outer * count * inner_bytes;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < total; i += (long long) gridDim.x * blockDim.x) {
        long long b = i % inner_bytes;
        long long j = (i / inner_bytes) % count;
        long long o = i / (inner_bytes * count);
        Y[i] = X[(o * axis + idx[j]) * inner_bytes + b];
    }
}

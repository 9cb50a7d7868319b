// Batched SGEMM with broadcasting batch dimensions and a fused epilogue, for MatMul, Gemm and
// fused MatMul/Gemm: Y = act(alpha * op(A) op(B) + beta * C). 64x64 output tiles, 16-deep
// slices of A and B staged in shared memory, 256 threads each computing a 4x4 block.
#include "kiln_cuda.cuh"

#define GEMM_BM 64
#define GEMM_BN 64
#define GEMM_BK 16
#define GEMM_MAX_BATCH_RANK 4

struct GemmParams {
    long long a_batch_stride[GEMM_MAX_BATCH_RANK];
    long long b_batch_stride[GEMM_MAX_BATCH_RANK];
    long long c_batch_stride[GEMM_MAX_BATCH_RANK];
    long long c_stride_m;  // C element (m, n) is at C[c_batch + m * c_stride_m + n * c_stride_n]
    long long c_stride_n;
    int batch_dims[GEMM_MAX_BATCH_RANK];
    int batch_rank;
    int batch;  // product of batch_dims
    int m, n, k;
    int trans_a, trans_b;
    int act;
    float alpha, beta, act_alpha, act_beta;
};

extern "C" __global__ void __launch_bounds__(256) kiln_gemm_f32(const float* __restrict__ A, const float* __restrict__ B,
                                                              const float* __restrict__ C, float* __restrict__ Y,
                                                              GemmParams p) {
    __shared__ float As[GEMM_BK][GEMM_BM + 4];
    __shared__ float Bs[GEMM_BK][GEMM_BN + 4];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int row0 = blockIdx.y * GEMM_BM;
    const int col0 = blockIdx.x * GEMM_BN;
    for (int z = blockIdx.z; z < p.batch; z += gridDim.z) {
        long long ao = 0, bo = 0, co = 0;
        int rest = z;
        for (int d = p.batch_rank - 1; d >= 0; d--) {
            int c = rest % p.batch_dims[d];
            rest /= p.batch_dims[d];
            ao += c * p.a_batch_stride[d];
            bo += c * p.b_batch_stride[d];
            co += c * p.c_batch_stride[d];
        }
        const float* a = A + ao;
        const float* b = B + bo;
        float acc[4][4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
        for (int k0 = 0; k0 < p.k; k0 += GEMM_BK) {
            // Each thread stages 4 elements of the A slice and 4 of the B slice.
            for (int e = tid; e < GEMM_BM * GEMM_BK; e += 256) {
                int mm = e / GEMM_BK, kk = e % GEMM_BK;
                int gm = row0 + mm, gk = k0 + kk;
                float v = 0.f;
                if (gm < p.m && gk < p.k) v = p.trans_a ? a[(long long) gk * p.m + gm] : a[(long long) gm * p.k + gk];
                As[kk][mm] = v;
            }
            for (int e = tid; e < GEMM_BN * GEMM_BK; e += 256) {
                int kk = e / GEMM_BN, nn = e % GEMM_BN;
                int gk = k0 + kk, gn = col0 + nn;
                float v = 0.f;
                if (gn < p.n && gk < p.k) v = p.trans_b ? b[(long long) gn * p.k + gk] : b[(long long) gk * p.n + gn];
                Bs[kk][nn] = v;
            }
            __syncthreads();
            for (int kk = 0; kk < GEMM_BK; kk++) {
                float ar[4], br[4];
                for (int i = 0; i < 4; i++) ar[i] = As[kk][ty + 16 * i];
                for (int j = 0; j < 4; j++) br[j] = Bs[kk][tx + 16 * j];
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
            }
            __syncthreads();
        }
        float* y = Y + (long long) z * p.m * p.n;
        for (int i = 0; i < 4; i++) {
            int gm = row0 + ty + 16 * i;
            if (gm >= p.m) continue;
            for (int j = 0; j < 4; j++) {
                int gn = col0 + tx + 16 * j;
                if (gn >= p.n) continue;
                float v = p.alpha * acc[i][j];
                if (C != nullptr) v += p.beta * C[co + gm * p.c_stride_m + gn * p.c_stride_n];
                y[(long long) gm * p.n + gn] = kiln_activate(v, p.act, p.act_alpha, p.act_beta);
            }
        }
    }
}

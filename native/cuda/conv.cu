// 2-D convolution (1-D as H = 1) as an implicit GEMM: per image and group, the weights
// [M/group, C/group*KH*KW] (ONNX's layout as is) times the im2col matrix of the input, whose
// elements are computed while the tile is staged, never stored. Fused epilogue:
// Y = act(conv + bias[m] + residual), bias and residual optional.
#include "kiln_cuda.cuh"

#define CONV_BM 64
#define CONV_BN 64
#define CONV_BK 16

struct ConvParams {
    int n, c, h, w;  // input
    int m;           // output channels
    int group;
    int kh, kw, oh, ow;
    int stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
    int act;
    float act_alpha, act_beta;
    int pad;
};

extern "C" __global__ void __launch_bounds__(256) kiln_conv2d_f32(const float* __restrict__ X, const float* __restrict__ Wt,
                                                                const float* __restrict__ bias,
                                                                const float* __restrict__ residual, float* __restrict__ Y,
                                                                ConvParams p) {
    __shared__ float As[CONV_BK][CONV_BM + 4];
    __shared__ float Bs[CONV_BK][CONV_BN + 4];
    const int tid = threadIdx.x;
    const int tx = tid % 16;
    const int ty = tid / 16;
    const int mg = p.m / p.group;
    const int cg = p.c / p.group;
    const int kdim = cg * p.kh * p.kw;
    const int pixels = p.oh * p.ow;
    const int row0 = blockIdx.y * CONV_BM;
    const int col0 = blockIdx.x * CONV_BN;
    for (int z = blockIdx.z; z < p.n * p.group; z += gridDim.z) {
        const int img = z / p.group;
        const int g = z % p.group;
        const float* x = X + ((long long) img * p.c + (long long) g * cg) * p.h * p.w;
        const float* wt = Wt + (long long) g * mg * kdim;
        float acc[4][4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
        for (int k0 = 0; k0 < kdim; k0 += CONV_BK) {
            for (int e = tid; e < CONV_BM * CONV_BK; e += 256) {
                int mm = e / CONV_BK, kk = e % CONV_BK;
                int gm = row0 + mm, gk = k0 + kk;
                As[kk][mm] = (gm < mg && gk < kdim) ? wt[(long long) gm * kdim + gk] : 0.f;
            }
            for (int e = tid; e < CONV_BN * CONV_BK; e += 256) {
                int kk = e / CONV_BN, nn = e % CONV_BN;
                int gk = k0 + kk, gp = col0 + nn;
                float v = 0.f;
                if (gk < kdim && gp < pixels) {
                    int ci = gk / (p.kh * p.kw);
                    int r = gk % (p.kh * p.kw);
                    int ih = (gp / p.ow) * p.stride_h - p.pad_h + (r / p.kw) * p.dil_h;
                    int iw = (gp % p.ow) * p.stride_w - p.pad_w + (r % p.kw) * p.dil_w;
                    if (ih >= 0 && ih < p.h && iw >= 0 && iw < p.w) v = x[((long long) ci * p.h + ih) * p.w + iw];
                }
                Bs[kk][nn] = v;
            }
            __syncthreads();
            for (int kk = 0; kk < CONV_BK; kk++) {
                float ar[4], br[4];
                for (int i = 0; i < 4; i++) ar[i] = As[kk][ty + 16 * i];
                for (int j = 0; j < 4; j++) br[j] = Bs[kk][tx + 16 * j];
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
            }
            __syncthreads();
        }
        for (int i = 0; i < 4; i++) {
            int gm = row0 + ty + 16 * i;
            if (gm >= mg) continue;
            int oc = g * mg + gm;
            for (int j = 0; j < 4; j++) {
                int gp = col0 + tx + 16 * j;
                if (gp >= pixels) continue;
                long long at = ((long long) img * p.m + oc) * pixels + gp;
                float v = acc[i][j];
                if (bias != nullptr) v += bias[oc];
                if (residual != nullptr) v += residual[at];
                Y[at] = kiln_activate(v, p.act, p.act_alpha, p.act_beta);
            }
        }
    }
}

// GEMM on simdgroup matrices: Y[b] = alpha * op(A[b]) op(B[b]) + beta * C, with transposes,
// broadcast batch strides and a broadcast C. A threadgroup of four simdgroups computes a 32x32
// tile of Y; each simdgroup owns a 16x16 quarter as 2x2 simdgroup_float8x8 accumulators. Tiles
// of A (32xKT) and B (KTx32) are staged in threadgroup memory with zeros past the matrix edges,
// so the 8x8 loads never read outside; the result goes back through threadgroup memory, where
// the edge tiles are cut.
#include "kiln_metal.h"

#define GEMM_TILE 32
#define GEMM_KT 16
#define GEMM_THREADS 128
#define GEMM_MAX_BATCH 4

struct GemmParams {
    int a_batch_stride[GEMM_MAX_BATCH];
    int b_batch_stride[GEMM_MAX_BATCH];
    int batch_dims[GEMM_MAX_BATCH];
    int batch_rank;
    int m;
    int n;
    int k;
    int trans_a;
    int trans_b;
    int has_c;
    int c_stride_m;
    int c_stride_n;
    float alpha;
    float beta;
};

// Threadgroup memory: buffer 0 holds A's tile (32 x KT), then B's (KT x 32), then Y's (32 x 32).
kernel void kiln_gemm_f32(device const float* a [[buffer(0)]],
                          device const float* b [[buffer(1)]],
                          device const float* c [[buffer(2)]],
                          device float* y [[buffer(3)]],
                          constant GemmParams& p [[buffer(4)]],
                          threadgroup float* tiles [[threadgroup(0)]],
                          uint3 group [[threadgroup_position_in_grid]],
                          uint tid [[thread_index_in_threadgroup]],
                          uint sg [[simdgroup_index_in_threadgroup]]) {
    threadgroup float* ta = tiles;
    threadgroup float* tb = tiles + GEMM_TILE * GEMM_KT;
    threadgroup float* ty = tb + GEMM_KT * GEMM_TILE;
    int row0 = (int) group.y * GEMM_TILE;
    int col0 = (int) group.x * GEMM_TILE;
    int batch = (int) group.z;
    int a_off = 0;
    int b_off = 0;
    int rest = batch;
    for (int d = p.batch_rank - 1; d >= 0; d--) {
        int coord = rest % p.batch_dims[d];
        rest /= p.batch_dims[d];
        a_off += coord * p.a_batch_stride[d];
        b_off += coord * p.b_batch_stride[d];
    }
    device const float* ab = a + a_off;
    device const float* bb = b + b_off;
    // Simdgroup s computes rows sr..sr+15 and columns sc..sc+15 of the tile.
    int sr = (int) (sg / 2) * 16;
    int sc = (int) (sg % 2) * 16;
    simdgroup_float8x8 acc[2][2];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            acc[i][j] = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
        }
    }
    for (int k0 = 0; k0 < p.k; k0 += GEMM_KT) {
        for (int e = (int) tid; e < GEMM_TILE * GEMM_KT; e += GEMM_THREADS) {
            int r = e / GEMM_KT;
            int kk = e % GEMM_KT;
            int gr = row0 + r;
            int gk = k0 + kk;
            float v = 0.0f;
            if (gr < p.m && gk < p.k) v = p.trans_a ? ab[gk * p.m + gr] : ab[gr * p.k + gk];
            ta[r * GEMM_KT + kk] = v;
        }
        for (int e = (int) tid; e < GEMM_KT * GEMM_TILE; e += GEMM_THREADS) {
            int kk = e / GEMM_TILE;
            int cc = e % GEMM_TILE;
            int gk = k0 + kk;
            int gc = col0 + cc;
            float v = 0.0f;
            if (gk < p.k && gc < p.n) v = p.trans_b ? bb[gc * p.k + gk] : bb[gk * p.n + gc];
            tb[kk * GEMM_TILE + cc] = v;
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
        for (int ks = 0; ks < GEMM_KT; ks += 8) {
            simdgroup_float8x8 ma[2];
            simdgroup_float8x8 mb[2];
            for (int i = 0; i < 2; i++) {
                simdgroup_load(ma[i], ta + (sr + 8 * i) * GEMM_KT + ks, GEMM_KT);
                simdgroup_load(mb[i], tb + ks * GEMM_TILE + sc + 8 * i, GEMM_TILE);
            }
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    simdgroup_multiply_accumulate(acc[i][j], ma[i], mb[j], acc[i][j]);
                }
            }
        }
        threadgroup_barrier(mem_flags::mem_threadgroup);
    }
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            simdgroup_store(acc[i][j], ty + (sr + 8 * i) * GEMM_TILE + sc + 8 * j, GEMM_TILE);
        }
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
    device float* yb = y + batch * p.m * p.n;
    for (int e = (int) tid; e < GEMM_TILE * GEMM_TILE; e += GEMM_THREADS) {
        int gr = row0 + e / GEMM_TILE;
        int gc = col0 + e % GEMM_TILE;
        if (gr < p.m && gc < p.n) {
            float v = p.alpha * ty[e];
            if (p.has_c) v += p.beta * c[gr * p.c_stride_m + gc * p.c_stride_n];
            yb[gr * p.n + gc] = v;
        }
    }
}

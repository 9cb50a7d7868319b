// Elementwise kernels: binary operators with broadcasting and unary operators, one thread per
// element over a one-dimensional grid of threadgroups (the last one partial).
#include "kiln_metal.h"

enum KilnBinary { BIN_ADD = 0, BIN_SUB, BIN_MUL, BIN_DIV, BIN_POW, BIN_MAX, BIN_MIN, BIN_PRELU };

inline float kiln_binary(int op, float a, float b) {
    switch (op) {
        case BIN_ADD: return a + b;
        case BIN_SUB: return a - b;
        case BIN_MUL: return a * b;
        case BIN_DIV: return a / b;
        case BIN_POW: return pow(a, b);
        case BIN_MAX: return (isnan(a) || isnan(b)) ? a + b : fmax(a, b);
        case BIN_MIN: return (isnan(a) || isnan(b)) ? a + b : fmin(a, b);
        case BIN_PRELU: return a < 0.0f ? b * a : a;
        default: return 0.0f;
    }
}

struct BinaryParams {
    BroadcastParams shape;
    int op;
};

kernel void kiln_binary_f32(device const float* a [[buffer(0)]],
                            device const float* b [[buffer(1)]],
                            device float* y [[buffer(2)]],
                            constant BinaryParams& p [[buffer(3)]],
                            uint i [[thread_position_in_grid]]) {
    if ((int) i >= p.shape.n) return;
    int rest = (int) i;
    int ia = 0;
    int ib = 0;
    for (int d = p.shape.rank - 1; d >= 0; d--) {
        int c = rest % p.shape.dims[d];
        rest /= p.shape.dims[d];
        ia += c * p.shape.a_stride[d];
        ib += c * p.shape.b_stride[d];
    }
    y[i] = kiln_binary(p.op, a[ia], b[ib]);
}

struct UnaryParams {
    int n;
    int op;
    float alpha;
    float beta;
};

kernel void kiln_unary_f32(device const float* x [[buffer(0)]],
                           device float* y [[buffer(1)]],
                           constant UnaryParams& p [[buffer(2)]],
                           uint i [[thread_position_in_grid]]) {
    if ((int) i >= p.n) return;
    y[i] = kiln_unary(p.op, x[i], p.alpha, p.beta);
}

// A byte copy in 4-byte words (the host pads sizes to 4): transfers from memory the queue does
// not own, such as a downloaded view of a weight.
kernel void kiln_copy_u32(device const uint* x [[buffer(0)]],
                          device uint* y [[buffer(1)]],
                          constant int& n [[buffer(2)]],
                          uint i [[thread_position_in_grid]]) {
    if ((int) i < n) y[i] = x[i];
}

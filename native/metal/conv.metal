// Direct convolution, 2-D (1-D as height 1), with groups, strides, dilations, explicit pads
// and a bias: one thread per output element, so the host needs no im2col buffer.
#include "kiln_metal.h"

struct ConvParams {
    int n;
    int c;
    int h;
    int w;
    int m;
    int oh;
    int ow;
    int kh;
    int kw;
    int groups;
    int stride_h;
    int stride_w;
    int pad_top;
    int pad_left;
    int dil_h;
    int dil_w;
    int has_bias;
    int total;
};

kernel void kiln_conv2d_f32(device const float* x [[buffer(0)]],
                            device const float* w [[buffer(1)]],
                            device const float* bias [[buffer(2)]],
                            device float* y [[buffer(3)]],
                            constant ConvParams& p [[buffer(4)]],
                            uint i [[thread_position_in_grid]]) {
    if ((int) i >= p.total) return;
    int ox = (int) i % p.ow;
    int oy = ((int) i / p.ow) % p.oh;
    int oc = ((int) i / (p.ow * p.oh)) % p.m;
    int img = (int) i / (p.ow * p.oh * p.m);
    int cpg = p.c / p.groups;
    int mpg = p.m / p.groups;
    int c0 = (oc / mpg) * cpg;
    float acc = p.has_bias ? bias[oc] : 0.0f;
    for (int ci = 0; ci < cpg; ci++) {
        device const float* plane = x + ((img * p.c) + c0 + ci) * p.h * p.w;
        device const float* filter = w + (oc * cpg + ci) * p.kh * p.kw;
        for (int ky = 0; ky < p.kh; ky++) {
            int iy = oy * p.stride_h - p.pad_top + ky * p.dil_h;
            if (iy < 0 || iy >= p.h) continue;
            for (int kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.stride_w - p.pad_left + kx * p.dil_w;
                if (ix < 0 || ix >= p.w) continue;
                acc = fma(plane[iy * p.w + ix], filter[ky * p.kw + kx], acc);
            }
        }
    }
    y[i] = acc;
}

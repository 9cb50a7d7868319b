// Kernels that break Metal's rules on purpose, so EmulatorTest can check the emulator says so.
#include <metal_stdlib>
using namespace metal;

// Threads past n return before a barrier the others wait at.
kernel void selftest_early_return(device float* y [[buffer(0)]],
                                  constant int& n [[buffer(1)]],
                                  threadgroup float* t [[threadgroup(0)]],
                                  uint tid [[thread_index_in_threadgroup]]) {
    if ((int) tid >= n) return;
    t[tid] = (float) tid;
    threadgroup_barrier(mem_flags::mem_threadgroup);
    y[tid] = t[(tid + 1) % n];
}

// Each lane loads an 8x8 matrix from its own address: not a SIMD-group operation.
kernel void selftest_divergent_load(device const float* x [[buffer(0)]],
                                    device float* y [[buffer(1)]],
                                    uint lane [[thread_index_in_simdgroup]]) {
    simdgroup_float8x8 m;
    simdgroup_load(m, x + lane, 8);
    simdgroup_store(m, y, 8);
}

// Loads an 8x8 matrix starting `offset` floats into x, which may run past its end.
kernel void selftest_load_at(device const float* x [[buffer(0)]],
                             device float* y [[buffer(1)]],
                             constant int& offset [[buffer(2)]]) {
    simdgroup_float8x8 m;
    simdgroup_load(m, x + offset, 8);
    simdgroup_store(m, y, 8);
}

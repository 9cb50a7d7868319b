// Compiles Kiln's CUDA kernels as host C++ for the emulator (never used by nvcc).
//
// Each emulated thread of a block is a fiber; a block's fibers run on one OS thread, so
// `__shared__` (a block-wide static) becomes a thread_local static, and blocks run one after
// another. __syncthreads() and the warp primitives suspend the fiber until every live thread of
// the block (or warp) arrives; a thread that exits while others wait at a barrier, or a
// barrier no one can pass, is reported as an error instead of hanging.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#define KILN_EMULATED 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static thread_local

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

namespace kiln_emu {
struct Thread;
extern thread_local Thread* current;
extern thread_local dim3 block_idx;
extern thread_local dim3 block_dim;
extern thread_local dim3 grid_dim;
const dim3& thread_idx();
void barrier_block();
void barrier_warp();
// Every live lane of the warp passes `value` (size bytes) and receives the value of lane src(lane).
void warp_exchange(const void* value, void* out, std::size_t size, int src_lane);
int lane_id();
}  // namespace kiln_emu

#define threadIdx (kiln_emu::thread_idx())
#define blockIdx (kiln_emu::block_idx)
#define blockDim (kiln_emu::block_dim)
#define gridDim (kiln_emu::grid_dim)
#define warpSize 32

inline void __syncthreads() { kiln_emu::barrier_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { kiln_emu::barrier_warp(); }

namespace kiln_emu {
template <class T>
inline T shuffle(T v, int src_lane) {
    T out;
    warp_exchange(&v, &out, sizeof(T), src_lane);
    return out;
}
}  // namespace kiln_emu

template <class T>
inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
    int lane = kiln_emu::lane_id();
    return kiln_emu::shuffle(v, (lane / width) * width + (src % width));
}
template <class T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    int lane = kiln_emu::lane_id();
    int src = lane + (int) delta;
    return kiln_emu::shuffle(v, (src / width == lane / width) ? src : lane);
}
template <class T>
inline T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
    int lane = kiln_emu::lane_id();
    int src = lane - (int) delta;
    return kiln_emu::shuffle(v, (src >= 0 && src / width == lane / width) ? src : lane);
}
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
    int lane = kiln_emu::lane_id();
    int src = lane ^ mask;
    return kiln_emu::shuffle(v, (src / width == lane / width) ? src : lane);
}

// Fibers of a block share one OS thread and switch only at barriers, so a read-modify-write
// is atomic within a block; the __atomic builtins keep it atomic if blocks ever run in parallel.
inline float atomicAdd(float* p, float v) {
    float old = *p;
    float want;
    do {
        want = old + v;
    } while (!__atomic_compare_exchange(p, &old, &want, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    return old;
}
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline int atomicMax(int* p, int v) {
    int old = *p;
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}
inline int atomicCAS(int* p, int expected, int desired) {
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return expected;
}

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
template <class T> inline T __ldg(const T* p) { return *p; }
using std::max;
using std::min;

// Registers a kernel under its C name, with a trampoline that unpacks cuLaunchKernel-style
// parameters (an array of pointers to each argument's value).
namespace kiln_emu {
using Trampoline = void (*)(void** params);
struct Registrar {
    Registrar(const char* name, Trampoline t);
};
template <class F> struct Unpack;
template <class... A> struct Unpack<void (*)(A...)> {
    template <void (*K)(A...), std::size_t... I>
    static void call(void** p, std::index_sequence<I...>) {
        K(*static_cast<std::remove_reference_t<A>*>(p[I])...);
    }
    template <void (*K)(A...)>
    static void call(void** p) {
        call<K>(p, std::index_sequence_for<A...>{});
    }
};
}  // namespace kiln_emu
#define KILN_EMU_REGISTER(name) \
    static kiln_emu::Registrar kiln_emu_reg_##name(#name, &kiln_emu::Unpack<decltype(&name)>::call<&name>);

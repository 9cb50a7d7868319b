// Compiles Kiln's Metal Shading Language kernels as host C++ for the CPU emulator (never seen
// by Metal's compiler): <metal_stdlib> in emu/ includes this header.
//
// What it maps: the address-space qualifiers (device, constant, thread, threadgroup) to
// nothing, const or register (see the end of this file); kernel to nothing; [[...]] attributes are left to g++, which ignores them
// (-Wno-attributes), while the emulator's build reads them to call each kernel with its
// buffers, threadgroup memory and thread-position built-ins; vector types with the component
// names Kiln's kernels use; the math functions of namespace metal; barriers; SIMD-group
// functions; and SIMD-group matrices. Each thread of a threadgroup is a fiber; barriers and
// SIMD-group functions switch fibers and check that every thread that must arrive does, and
// SIMD-group matrix functions check that the whole SIMD group calls them with the same
// arguments and stays inside the buffer it reads or writes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;
typedef unsigned long ulong;

template <class T>
struct kiln_vec2 {
    T x, y;
    kiln_vec2() : x(), y() {}
    explicit kiln_vec2(T v) : x(v), y(v) {}
    kiln_vec2(T a, T b) : x(a), y(b) {}
};
template <class T>
struct kiln_vec3 {
    T x, y, z;
    kiln_vec3() : x(), y(), z() {}
    explicit kiln_vec3(T v) : x(v), y(v), z(v) {}
    kiln_vec3(T a, T b, T c) : x(a), y(b), z(c) {}
};
template <class T>
struct kiln_vec4 {
    T x, y, z, w;
    kiln_vec4() : x(), y(), z(), w() {}
    explicit kiln_vec4(T v) : x(v), y(v), z(v), w(v) {}
    kiln_vec4(T a, T b, T c, T d) : x(a), y(b), z(c), w(d) {}
};
typedef kiln_vec2<float> float2;
typedef kiln_vec3<float> float3;
typedef kiln_vec4<float> float4;
typedef kiln_vec2<int> int2;
typedef kiln_vec3<int> int3;
typedef kiln_vec2<uint> uint2;
typedef kiln_vec3<uint> uint3;
typedef kiln_vec2<ulong> ulong2;

namespace kiln_metal_emu {
enum Builtin {
    THREAD_POSITION_IN_GRID, THREAD_POSITION_IN_THREADGROUP, THREADGROUP_POSITION_IN_GRID, THREADS_PER_THREADGROUP,
    THREADGROUPS_PER_GRID, THREAD_INDEX_IN_THREADGROUP, SIMDGROUP_INDEX_IN_THREADGROUP, THREAD_INDEX_IN_SIMDGROUP,
    THREADS_PER_SIMDGROUP, SIMDGROUPS_PER_THREADGROUP
};
uint3 builtin(Builtin b);

// A built-in argument converts to the scalar, 2- or 3-component type the kernel declares.
struct BuiltinArg {
    uint3 v;
    operator uint() const { return v.x; }
    operator ushort() const { return (ushort) v.x; }
    operator uint2() const { return uint2(v.x, v.y); }
    operator uint3() const { return v; }
};
inline BuiltinArg arg(Builtin b) { return BuiltinArg{builtin(b)}; }

// A buffer argument: a pointer parameter, or a reference (constant Params& p).
struct PointerArg {
    void* p;
    template <class T>
    operator T*() const { return static_cast<T*>(p); }
};
struct ReferenceArg {
    void* p;
    template <class T>
    operator T&() const { return *static_cast<T*>(p); }
};

void threadgroup_barrier();
// Every active lane of the SIMD group passes `size` bytes and gets all lanes' values, by lane;
// returns the number of lanes in the group. Exited lanes are inactive (their slot holds the
// caller's value).
int simd_gather(const void* value, std::size_t size, void* all);
int lane();
// A SIMD-group matrix operation: every lane of the SIMD group must call it, with equal `desc`.
void simd_collective(const char* what, const void* desc, std::size_t size);
// Fails the dispatch when [p, p + bytes) starts inside a bound buffer or threadgroup memory but
// does not end inside it.
void check_span(const char* what, const void* p, std::size_t bytes);
}  // namespace kiln_metal_emu

namespace metal {
enum class mem_flags { mem_none = 0, mem_device = 1, mem_threadgroup = 2, mem_texture = 4 };
inline void threadgroup_barrier(mem_flags) { kiln_metal_emu::threadgroup_barrier(); }
inline void simdgroup_barrier(mem_flags) {
    int dummy = 0;
    int all[32];
    kiln_metal_emu::simd_gather(&dummy, sizeof dummy, all);
}

inline float fabs(float x) { return std::fabs(x); }
inline float abs(float x) { return std::fabs(x); }
inline float exp(float x) { return std::exp(x); }
inline float log(float x) { return std::log(x); }
inline float sqrt(float x) { return std::sqrt(x); }
inline float rsqrt(float x) { return 1.0f / std::sqrt(x); }
inline float tanh(float x) { return std::tanh(x); }
inline float sin(float x) { return std::sin(x); }
inline float cos(float x) { return std::cos(x); }
inline float floor(float x) { return std::floor(x); }
inline float ceil(float x) { return std::ceil(x); }
inline float pow(float a, float b) { return std::pow(a, b); }
inline float fma(float a, float b, float c) { return std::fma(a, b, c); }
inline float fmax(float a, float b) { return std::fmax(a, b); }
inline float fmin(float a, float b) { return std::fmin(a, b); }
inline bool isnan(float x) { return std::isnan(x); }
inline bool isinf(float x) { return std::isinf(x); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline uint min(uint a, uint b) { return a < b ? a : b; }
inline uint max(uint a, uint b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }

template <class T>
inline T simd_sum(T v) {
    T all[32];
    int n = kiln_metal_emu::simd_gather(&v, sizeof v, all);
    T s = T(0);
    for (int i = 0; i < n; i++) s += all[i];
    return s;
}
template <class T>
inline T simd_max(T v) {
    T all[32];
    int n = kiln_metal_emu::simd_gather(&v, sizeof v, all);
    T m = all[0];
    for (int i = 1; i < n; i++) m = std::fmax(m, all[i]);
    return m;
}
template <class T>
inline T simd_min(T v) {
    T all[32];
    int n = kiln_metal_emu::simd_gather(&v, sizeof v, all);
    T m = all[0];
    for (int i = 1; i < n; i++) m = std::fmin(m, all[i]);
    return m;
}
template <class T>
inline T simd_broadcast(T v, ushort lane) {
    T all[32];
    int n = kiln_metal_emu::simd_gather(&v, sizeof v, all);
    return lane < n ? all[lane] : v;
}
template <class T>
inline T simd_shuffle(T v, ushort lane) { return simd_broadcast(v, lane); }
template <class T>
inline T simd_shuffle_down(T v, ushort delta) {
    T all[32];
    int n = kiln_metal_emu::simd_gather(&v, sizeof v, all);
    int src = kiln_metal_emu::lane() + delta;
    return src < n ? all[src] : v;
}
template <class T>
inline T simd_shuffle_xor(T v, ushort mask) {
    T all[32];
    int n = kiln_metal_emu::simd_gather(&v, sizeof v, all);
    int src = kiln_metal_emu::lane() ^ mask;
    return src < n ? all[src] : v;
}

// A SIMD-group matrix: on a GPU each lane holds a few elements; here every lane holds all of
// them, and the collective checks keep the lanes' copies equal.
template <class T, int R, int C>
struct simdgroup_matrix {
    T e[R * C];
};
typedef simdgroup_matrix<float, 8, 8> simdgroup_float8x8;

template <class T, int R, int C>
inline simdgroup_matrix<T, R, C> make_filled_simdgroup_matrix(T v) {
    simdgroup_matrix<T, R, C> m;
    for (int i = 0; i < R * C; i++) m.e[i] = v;
    return m;
}

namespace detail {
// What the lanes of a SIMD group must agree on (no padding, so memcmp compares it).
struct MatrixAccess {
    const void* p;
    ulong stride;
    ulong ox, oy;
    ulong transpose;
};
template <class T, int R, int C>
inline void span(const char* what, const T* p, ulong stride, ulong2 origin, bool transpose) {
    ulong rows = transpose ? C : R;
    ulong cols = transpose ? R : C;
    const T* first = p + origin.y * stride + origin.x;
    kiln_metal_emu::check_span(what, first, ((rows - 1) * stride + cols) * sizeof(T));
}
}  // namespace detail

template <class T, int R, int C>
inline void simdgroup_load(simdgroup_matrix<T, R, C>& d, const T* src, ulong elements_per_row = C,
                           ulong2 origin = ulong2(0, 0), bool transpose = false) {
    detail::MatrixAccess a{src, elements_per_row, origin.x, origin.y, transpose ? 1ul : 0ul};
    kiln_metal_emu::simd_collective("simdgroup_load", &a, sizeof a);
    detail::span<T, R, C>("simdgroup_load", src, elements_per_row, origin, transpose);
    for (int r = 0; r < R; r++) {
        for (int c = 0; c < C; c++) {
            ulong row = transpose ? c : r;
            ulong col = transpose ? r : c;
            d.e[r * C + c] = src[(origin.y + row) * elements_per_row + origin.x + col];
        }
    }
}

template <class T, int R, int C>
inline void simdgroup_store(const simdgroup_matrix<T, R, C>& m, T* dst, ulong elements_per_row = C,
                            ulong2 origin = ulong2(0, 0), bool transpose = false) {
    detail::MatrixAccess a{dst, elements_per_row, origin.x, origin.y, transpose ? 1ul : 0ul};
    kiln_metal_emu::simd_collective("simdgroup_store", &a, sizeof a);
    detail::span<T, R, C>("simdgroup_store", dst, elements_per_row, origin, transpose);
    for (int r = 0; r < R; r++) {
        for (int c = 0; c < C; c++) {
            ulong row = transpose ? c : r;
            ulong col = transpose ? r : c;
            dst[(origin.y + row) * elements_per_row + origin.x + col] = m.e[r * C + c];
        }
    }
}

template <class T, int M, int K, int N>
inline void simdgroup_multiply_accumulate(simdgroup_matrix<T, M, N>& d, const simdgroup_matrix<T, M, K>& a,
                                          const simdgroup_matrix<T, K, N>& b, const simdgroup_matrix<T, M, N>& c) {
    kiln_metal_emu::simd_collective("simdgroup_multiply_accumulate", nullptr, 0);
    simdgroup_matrix<T, M, N> r;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            T s = c.e[i * N + j];
            for (int k = 0; k < K; k++) s = std::fma(a.e[i * K + k], b.e[k * N + j], s);
            r.e[i * N + j] = s;
        }
    }
    d = r;
}

template <class T, int M, int K, int N>
inline void simdgroup_multiply(simdgroup_matrix<T, M, N>& d, const simdgroup_matrix<T, M, K>& a,
                               const simdgroup_matrix<T, K, N>& b) {
    simdgroup_multiply_accumulate(d, a, b, make_filled_simdgroup_matrix<T, M, N>(T(0)));
}
}  // namespace metal

#ifndef INFINITY
#define INFINITY (std::numeric_limits<float>::infinity())
#endif

// The Metal address spaces and function qualifier. Threadgroup memory is only ever a kernel
// parameter ([[threadgroup(n)]]) or a pointer into one, so `threadgroup` only has to vanish
// from types; it becomes `register` (accepted with -Wno-register), because a keyword in an
// attribute counts as an identifier and so [[threadgroup(0)]] stays an (ignored) attribute.
#define kernel
#define device
#define constant const
#define thread
#define threadgroup register

// Registers a kernel under its name with a trampoline the emulator's build generates.
namespace kiln_metal_emu {
using Trampoline = void (*)(void** buffers, void** threadgroup_memory);
struct Registrar {
    Registrar(const char* name, Trampoline t);
};
}  // namespace kiln_metal_emu

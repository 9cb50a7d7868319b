// The emulator's runtime: a registry of kernels and a dispatcher that runs each threadgroup's
// threads as fibers (ucontext) on the calling thread, one threadgroup after another, switching
// only at barriers and SIMD-group functions. Rule breaks (a barrier some threads never reach,
// SIMD-group matrix calls that differ across lanes, matrix accesses past a buffer, writes past
// threadgroup memory) fail the dispatch with a message instead of hanging or passing.
#include "kiln_metal_shim.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace kiln_metal_emu {

namespace {
enum State { RUNNABLE, AT_THREADGROUP_BARRIER, AT_SIMD, DONE };
constexpr int SIMD = 32;
constexpr std::size_t STACK = 128 * 1024;
constexpr std::size_t SLOT = 64;
constexpr std::size_t CANARY = 64;

struct Thread {
    ucontext_t ctx;
    uint3 tid;
    int linear;
    State state;
    const char* what;  // the SIMD-group function waited at
    unsigned char slot[SLOT];
    std::size_t slot_size;
};

struct Range {
    const unsigned char* base;
    std::size_t bytes;
};

struct Group {
    std::vector<Thread> threads;
    std::vector<std::vector<unsigned char>> boards;  // per SIMD group: every lane's slot at release
    std::vector<std::vector<bool>> active;           // per SIMD group: the lanes that took part
    std::vector<Range> ranges;
    ucontext_t scheduler;
    Trampoline run;
    void** buffers;
    void** threadgroup_memory;
    uint3 position;
    uint3 size;
    uint3 grid;
    std::string error;
};

thread_local Group* group;
thread_local Thread* current;

std::map<std::string, Trampoline>& registry() {
    static std::map<std::string, Trampoline> r;
    return r;
}

void fail(const std::string& m) {
    if (group->error.empty()) group->error = m;
}

void entry() {
    group->run(group->buffers, group->threadgroup_memory);
    current->state = DONE;
    swapcontext(&current->ctx, &group->scheduler);
}

void suspend(State s, const char* what) {
    current->state = s;
    current->what = what;
    swapcontext(&current->ctx, &group->scheduler);
}

// Releases SIMD groups whose active lanes all wait at the same SIMD-group function, then the
// threadgroup when every thread waits at its barrier. Records an error for a rule break.
bool release(Group& g) {
    bool progressed = false;
    int n = (int) g.threads.size();
    for (int s = 0; s * SIMD < n; s++) {
        int lo = s * SIMD;
        int hi = std::min(n, lo + SIMD);
        int waiting = 0, done = 0, other = 0;
        const Thread* first = nullptr;
        for (int i = lo; i < hi; i++) {
            const Thread& t = g.threads[i];
            if (t.state == AT_SIMD) {
                waiting++;
                if (!first) first = &t;
            } else if (t.state == DONE) {
                done++;
            } else {
                other++;
            }
        }
        if (waiting == 0 || other > 0) continue;
        bool matrix = std::strncmp(first->what, "simdgroup_", 10) == 0;
        if (matrix && done > 0) {
            fail(std::string(first->what) + " called while lanes of the SIMD group had exited");
            return false;
        }
        for (int i = lo; i < hi; i++) {
            const Thread& t = g.threads[i];
            if (t.state != AT_SIMD) continue;
            if (std::strcmp(t.what, first->what) != 0) {
                fail(std::string("lanes of one SIMD group wait at different functions: ") + first->what + " and " + t.what);
                return false;
            }
            if (matrix && (t.slot_size != first->slot_size || std::memcmp(t.slot, first->slot, t.slot_size) != 0)) {
                fail(std::string(first->what) + " called with different arguments across the SIMD group");
                return false;
            }
        }
        std::vector<unsigned char>& board = g.boards[s];
        for (int i = lo; i < hi; i++) {
            std::memcpy(board.data() + (i - lo) * SLOT, g.threads[i].slot, SLOT);
            g.active[s][i - lo] = g.threads[i].state == AT_SIMD;
        }
        for (int i = lo; i < hi; i++) {
            if (g.threads[i].state == AT_SIMD) g.threads[i].state = RUNNABLE;
        }
        progressed = true;
    }
    int waiting = 0, done = 0, other = 0;
    for (auto& t : g.threads) {
        if (t.state == AT_THREADGROUP_BARRIER) waiting++;
        else if (t.state == DONE) done++;
        else other++;
    }
    if (waiting > 0 && other == 0) {
        if (done > 0) {
            fail("threadgroup_barrier() was not reached by every thread of the threadgroup (some had returned)");
            return false;
        }
        for (auto& t : g.threads) t.state = RUNNABLE;
        progressed = true;
    }
    return progressed;
}
}  // namespace

Registrar::Registrar(const char* name, Trampoline t) { registry()[name] = t; }

uint3 builtin(Builtin b) {
    const Group& g = *group;
    const uint3& t = current->tid;
    uint linear = (uint) current->linear;
    uint count = g.size.x * g.size.y * g.size.z;
    switch (b) {
        case THREAD_POSITION_IN_GRID:
            return uint3(g.position.x * g.size.x + t.x, g.position.y * g.size.y + t.y, g.position.z * g.size.z + t.z);
        case THREAD_POSITION_IN_THREADGROUP: return t;
        case THREADGROUP_POSITION_IN_GRID: return g.position;
        case THREADS_PER_THREADGROUP: return g.size;
        case THREADGROUPS_PER_GRID: return g.grid;
        case THREAD_INDEX_IN_THREADGROUP: return uint3(linear, 0, 0);
        case SIMDGROUP_INDEX_IN_THREADGROUP: return uint3(linear / SIMD, 0, 0);
        case THREAD_INDEX_IN_SIMDGROUP: return uint3(linear % SIMD, 0, 0);
        case THREADS_PER_SIMDGROUP: return uint3(SIMD, 0, 0);
        case SIMDGROUPS_PER_THREADGROUP: return uint3((count + SIMD - 1) / SIMD, 0, 0);
    }
    return uint3(0, 0, 0);
}

void threadgroup_barrier() { suspend(AT_THREADGROUP_BARRIER, "threadgroup_barrier"); }

int lane() { return current->linear % SIMD; }

int simd_gather(const void* value, std::size_t size, void* all) {
    std::memcpy(current->slot, value, size);
    current->slot_size = size;
    suspend(AT_SIMD, "a SIMD-group function");
    int base = current->linear - current->linear % SIMD;
    int n = std::min(SIMD, (int) group->threads.size() - base);
    const std::vector<unsigned char>& board = group->boards[base / SIMD];
    for (int i = 0; i < n; i++) {
        // A lane that had exited is inactive: it contributes the caller's own value.
        const void* src = group->active[base / SIMD][i] ? board.data() + i * SLOT : value;
        std::memcpy(static_cast<unsigned char*>(all) + i * size, src, size);
    }
    return n;
}

void simd_collective(const char* what, const void* desc, std::size_t size) {
    std::memcpy(current->slot, desc, size);
    current->slot_size = size;
    suspend(AT_SIMD, what);
}

void check_span(const char* what, const void* p, std::size_t bytes) {
    const unsigned char* a = static_cast<const unsigned char*>(p);
    for (const Range& r : group->ranges) {
        if (a >= r.base && a < r.base + r.bytes) {
            if (a + bytes > r.base + r.bytes) {
                fail(std::string(what) + " reaches " + std::to_string(a + bytes - (r.base + r.bytes))
                     + " bytes past the end of the memory it starts in");
                // This thread goes no further; the dispatch stops at the scheduler.
                current->state = DONE;
                swapcontext(&current->ctx, &group->scheduler);
            }
            return;
        }
    }
}

}  // namespace kiln_metal_emu

using namespace kiln_metal_emu;

extern "C" int kiln_metal_emu_has_kernel(const char* name) { return registry().count(name) ? 1 : 0; }

// Runs a dispatchThreadgroups of `name`. buffers[i] is what [[buffer(i)]] receives and
// buffer_bytes[i] how many bytes are readable from it (0 when unbound); threadgroup_bytes[i]
// sizes [[threadgroup(i)]]. Returns 0, or -1 with a message in err.
extern "C" int kiln_metal_emu_dispatch(const char* name, const unsigned* grid, const unsigned* size, void** buffers,
                                       const unsigned long* buffer_bytes, const unsigned long* threadgroup_bytes,
                                       char* err, int err_len) {
    auto report = [&](const std::string& m) {
        std::snprintf(err, err_len, "%s: %s", name, m.c_str());
        return -1;
    };
    auto it = registry().find(name);
    if (it == registry().end()) return report("no such kernel in the emulator");
    int n = (int) (size[0] * size[1] * size[2]);
    if (n <= 0 || n > 1024 || grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return report("bad dispatch geometry");
    char* stacks = (char*) mmap(nullptr, STACK * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stacks == MAP_FAILED) return report("cannot map fiber stacks");
    Group g;
    g.threads.resize(n);
    g.boards.assign((n + SIMD - 1) / SIMD, std::vector<unsigned char>(SIMD * SLOT));
    g.active.assign((n + SIMD - 1) / SIMD, std::vector<bool>(SIMD));
    g.run = it->second;
    g.buffers = buffers;
    g.size = uint3(size[0], size[1], size[2]);
    g.grid = uint3(grid[0], grid[1], grid[2]);
    for (int i = 0; i < 31; i++) {
        if (buffer_bytes[i] > 0) g.ranges.push_back(Range{static_cast<unsigned char*>(buffers[i]), buffer_bytes[i]});
    }
    std::vector<std::vector<unsigned char>> memory(31);
    void* tg[31];
    for (int i = 0; i < 31; i++) {
        memory[i].resize(threadgroup_bytes[i] + CANARY);
        tg[i] = threadgroup_bytes[i] > 0 ? memory[i].data() : nullptr;
        if (threadgroup_bytes[i] > 0) g.ranges.push_back(Range{memory[i].data(), threadgroup_bytes[i]});
    }
    g.threadgroup_memory = tg;
    group = &g;
    for (unsigned z = 0; z < grid[2] && g.error.empty(); z++) {
        for (unsigned y = 0; y < grid[1] && g.error.empty(); y++) {
            for (unsigned x = 0; x < grid[0] && g.error.empty(); x++) {
                g.position = uint3(x, y, z);
                // Threadgroup memory starts as NaNs each time (it is uninitialized on a GPU),
                // followed by a canary that must survive.
                for (auto& m : memory) std::memset(m.data(), 0xff, m.size());
                for (int i = 0; i < n; i++) {
                    Thread& t = g.threads[i];
                    t.linear = i;
                    t.tid = uint3(i % size[0], (i / size[0]) % size[1], i / (size[0] * size[1]));
                    t.state = RUNNABLE;
                    t.what = "";
                    t.slot_size = 0;
                    getcontext(&t.ctx);
                    t.ctx.uc_stack.ss_sp = stacks + STACK * i;
                    t.ctx.uc_stack.ss_size = STACK;
                    t.ctx.uc_link = nullptr;
                    makecontext(&t.ctx, entry, 0);
                }
                while (g.error.empty()) {
                    bool ran = false;
                    for (auto& t : g.threads) {
                        if (t.state == RUNNABLE) {
                            current = &t;
                            swapcontext(&g.scheduler, &t.ctx);
                            ran = true;
                        }
                    }
                    if (!g.error.empty()) break;
                    bool released = release(g);
                    bool all_done = true;
                    for (auto& t : g.threads) all_done &= t.state == DONE;
                    if (all_done || !g.error.empty()) break;
                    if (!ran && !released) {
                        fail("deadlock: threads wait at different barriers");
                        break;
                    }
                }
                for (int i = 0; i < 31 && g.error.empty(); i++) {
                    for (std::size_t b = threadgroup_bytes[i]; b < memory[i].size(); b++) {
                        if (memory[i][b] != 0xff) {
                            fail("wrote past the end of threadgroup(" + std::to_string(i) + ")");
                            break;
                        }
                    }
                }
            }
        }
    }
    group = nullptr;
    current = nullptr;
    munmap(stacks, STACK * n);
    if (!g.error.empty()) return report(g.error);
    return 0;
}

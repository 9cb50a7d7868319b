// The emulator's runtime: a registry of kernels and a launcher that runs each block's threads
// as fibers (ucontext), switching only at barriers. Called from Java through FFM.
#include "kiln_cuda_shim.h"

#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kiln_emu {

enum State { RUNNABLE, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Thread {
    ucontext_t ctx;
    dim3 idx;
    int linear;
    State state;
    unsigned char exchange[16];
};

thread_local Thread* current;
thread_local dim3 block_idx;
thread_local dim3 block_dim;
thread_local dim3 grid_dim;

namespace {
std::map<std::string, Trampoline>& registry() {
    static std::map<std::string, Trampoline> r;
    return r;
}

struct Block {
    std::vector<Thread> threads;
    ucontext_t scheduler;
    Trampoline kernel;
    void** params;
};

thread_local Block* block;
constexpr std::size_t STACK = 256 * 1024;

void entry() {
    block->kernel(block->params);
    current->state = DONE;
    swapcontext(&current->ctx, &block->scheduler);
}

void suspend(State s) {
    current->state = s;
    swapcontext(&current->ctx, &block->scheduler);
}

// Releases the warps whose live lanes all wait at a warp barrier, then the block if every live
// thread waits at the block barrier. Returns an error message, or nullptr.
const char* release(Block& b, bool& progressed) {
    int n = (int) b.threads.size();
    for (int w = 0; w * 32 < n; w++) {
        int lo = w * 32;
        int hi = std::min(n, lo + 32);
        int waiting = 0, done = 0, other = 0;
        for (int i = lo; i < hi; i++) {
            State s = b.threads[i].state;
            if (s == AT_WARP_BARRIER) waiting++;
            else if (s == DONE) done++;
            else other++;
        }
        if (waiting > 0 && other == 0) {
            if (done > 0) return "a warp primitive was called while other lanes of the warp had exited";
            for (int i = lo; i < hi; i++) b.threads[i].state = RUNNABLE;
            progressed = true;
        }
    }
    int waiting = 0, done = 0, other = 0;
    for (auto& t : b.threads) {
        if (t.state == AT_BLOCK_BARRIER) waiting++;
        else if (t.state == DONE) done++;
        else other++;
    }
    if (waiting > 0 && other == 0) {
        if (done > 0) return "__syncthreads() was not reached by every thread of the block (some had exited)";
        for (auto& t : b.threads) t.state = RUNNABLE;
        progressed = true;
    }
    return nullptr;
}
}  // namespace

Registrar::Registrar(const char* name, Trampoline t) { registry()[name] = t; }

const dim3& thread_idx() { return current->idx; }
void barrier_block() { suspend(AT_BLOCK_BARRIER); }
void barrier_warp() { suspend(AT_WARP_BARRIER); }
int lane_id() { return current->linear % 32; }

void warp_exchange(const void* value, void* out, std::size_t size, int src_lane) {
    std::memcpy(current->exchange, value, size);
    suspend(AT_WARP_BARRIER);
    int base = current->linear - current->linear % 32;
    int src = base + src_lane;
    if (src >= (int) block->threads.size()) src = current->linear;
    std::memcpy(out, block->threads[src].exchange, size);
    // Nobody may overwrite its slot before every lane has read.
    suspend(AT_WARP_BARRIER);
}

}  // namespace kiln_emu

using namespace kiln_emu;

extern "C" int kiln_emu_has_kernel(const char* name) { return registry().count(name) ? 1 : 0; }

// Runs a grid. Returns 0, or -1 with a message in err.
extern "C" int kiln_emu_launch(const char* name, int gx, int gy, int gz, int bx, int by, int bz, void** params,
                               char* err, int err_len) {
    auto it = registry().find(name);
    auto fail = [&](const std::string& m) {
        std::snprintf(err, err_len, "%s: %s", name, m.c_str());
        return -1;
    };
    if (it == registry().end()) return fail("no such kernel in the emulator");
    int n = bx * by * bz;
    if (n <= 0 || n > 1024 || gx <= 0 || gy <= 0 || gz <= 0) return fail("bad launch geometry");
    char* stacks = (char*) mmap(nullptr, STACK * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stacks == MAP_FAILED) return fail("cannot map fiber stacks");
    Block b;
    b.threads.resize(n);
    b.kernel = it->second;
    b.params = params;
    block = &b;
    grid_dim = dim3(gx, gy, gz);
    block_dim = dim3(bx, by, bz);
    int rc = 0;
    for (int z = 0; z < gz && rc == 0; z++) {
        for (int y = 0; y < gy && rc == 0; y++) {
            for (int x = 0; x < gx && rc == 0; x++) {
                block_idx = dim3(x, y, z);
                for (int i = 0; i < n; i++) {
                    Thread& t = b.threads[i];
                    t.linear = i;
                    t.idx = dim3(i % bx, (i / bx) % by, i / (bx * by));
                    t.state = RUNNABLE;
                    getcontext(&t.ctx);
                    t.ctx.uc_stack.ss_sp = stacks + STACK * i;
                    t.ctx.uc_stack.ss_size = STACK;
                    t.ctx.uc_link = nullptr;
                    makecontext(&t.ctx, entry, 0);
                }
                while (true) {
                    bool ran = false;
                    for (auto& t : b.threads) {
                        if (t.state == RUNNABLE) {
                            current = &t;
                            swapcontext(&b.scheduler, &t.ctx);
                            ran = true;
                        }
                    }
                    bool released = false;
                    if (const char* e = release(b, released)) {
                        rc = fail(e);
                        break;
                    }
                    bool all_done = true;
                    for (auto& t : b.threads) all_done &= t.state == DONE;
                    if (all_done) break;
                    if (!ran && !released) {
                        rc = fail("deadlock: threads wait at different barriers");
                        break;
                    }
                }
            }
        }
    }
    block = nullptr;
    current = nullptr;
    munmap(stacks, STACK * n);
    return rc;
}

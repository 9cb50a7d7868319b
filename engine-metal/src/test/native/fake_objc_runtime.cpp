// A fake Objective-C runtime for testing Kiln's FFM bindings on Linux: the C functions Kiln
// calls (objc_getClass, sel_registerName, objc_msgSend, objc_msgSend_stret, the autorelease
// pool functions), classes with method tables, reference counts, autorelease pools and zombies.
// objc_msgSend is, as in the real runtime, an assembly trampoline that looks up the method and
// jumps to it with every argument register and the stack untouched, so each call signature
// (struct-by-value MTLSize included) reaches the method exactly as the C ABI passed it.
// Rule breaks (an unknown selector, a message to a released object, an autorelease with no
// pool) are recorded and read by the tests through kiln_fake_take_errors.
#include "fake_objc_runtime.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace fake {
namespace {
std::recursive_mutex lock;
std::vector<std::string> errors;
std::map<std::string, long> counters;
std::map<std::string, Class*> classes;
std::set<const void*> class_pointers;
long live = 0;
thread_local std::vector<Object*> pool_stack;
thread_local std::vector<std::size_t> pool_marks;

long nil_imp() { return 0; }
}  // namespace

void error(const std::string& m) {
    std::lock_guard<std::recursive_mutex> g(lock);
    errors.push_back(m);
}

void count(const char* what) {
    std::lock_guard<std::recursive_mutex> g(lock);
    counters[what]++;
}

Class& define_class(const char* name) {
    std::lock_guard<std::recursive_mutex> g(lock);
    Class*& c = classes[name];
    if (!c) {
        c = new Class();
        c->name = name;
        class_pointers.insert(c);
    }
    return *c;
}

Object::Object(Class& c) : cls(&c) {
    std::lock_guard<std::recursive_mutex> g(lock);
    live++;
}

Object::~Object() = default;

void release(Object* o) {
    if (!o) return;
    std::lock_guard<std::recursive_mutex> g(lock);
    if (o->dead) {
        error(std::string("release of a deallocated ") + o->cls->name);
        return;
    }
    if (--o->refs == 0) {
        o->dead = true;
        live--;
        o->dealloc();
    }
}

void retain(Object* o) {
    if (o) o->refs++;
}

Object* autorelease(Object* o) {
    if (pool_marks.empty()) {
        error(std::string("a ") + o->cls->name + " was autoreleased with no pool in place (it leaks)");
    } else {
        pool_stack.push_back(o);
    }
    return o;
}

const char* sel_name(SEL s) { return reinterpret_cast<const char*>(s); }

}  // namespace fake

using namespace fake;

extern "C" {

void* objc_getClass(const char* name) {
    std::lock_guard<std::recursive_mutex> g(lock);
    auto it = classes.find(name);
    return it == classes.end() ? nullptr : it->second;
}

SEL sel_registerName(const char* name) {
    static std::set<std::string> names;
    std::lock_guard<std::recursive_mutex> g(lock);
    counters["sel_registerName"]++;
    return reinterpret_cast<SEL>(const_cast<char*>(names.insert(name).first->c_str()));
}

void* objc_autoreleasePoolPush(void) {
    pool_marks.push_back(pool_stack.size());
    return reinterpret_cast<void*>(pool_marks.size());
}

void objc_autoreleasePoolPop(void* token) {
    std::size_t depth = reinterpret_cast<std::size_t>(token);
    if (depth == 0 || depth > pool_marks.size()) {
        error("objc_autoreleasePoolPop of a pool that is not open on this thread");
        return;
    }
    while (pool_marks.size() >= depth) {
        std::size_t mark = pool_marks.back();
        pool_marks.pop_back();
        while (pool_stack.size() > mark) {
            Object* o = pool_stack.back();
            pool_stack.pop_back();
            release(o);
        }
    }
}

// Called by the trampolines: the method for (receiver, selector). A class pointer gets its
// class methods, an object its instance methods; nil gets a method returning 0, as in Objective-C.
IMP kiln_fake_lookup(void* self, SEL sel) {
    if (!self) return reinterpret_cast<IMP>(&nil_imp);
    std::lock_guard<std::recursive_mutex> g(lock);
    const char* name = sel_name(sel);
    if (class_pointers.count(self)) {
        Class* c = static_cast<Class*>(self);
        auto it = c->class_methods.find(name);
        if (it != c->class_methods.end()) return it->second;
        error(std::string("+[") + c->name + " " + name + "]: unrecognized selector sent to class");
        return reinterpret_cast<IMP>(&nil_imp);
    }
    Object* o = static_cast<Object*>(self);
    if (o->dead) {
        error(std::string("-[") + o->cls->name + " " + name + "]: message sent to deallocated instance");
        return reinterpret_cast<IMP>(&nil_imp);
    }
    auto it = o->cls->methods.find(name);
    if (it != o->cls->methods.end()) return it->second;
    if (std::strcmp(name, "release") == 0) return reinterpret_cast<IMP>(&fake_release_imp);
    if (std::strcmp(name, "retain") == 0) return reinterpret_cast<IMP>(&fake_retain_imp);
    error(std::string("-[") + o->cls->name + " " + name + "]: unrecognized selector sent to instance");
    return reinterpret_cast<IMP>(&nil_imp);
}

void fake_release_imp(Object* self, SEL) { release(self); }
Object* fake_retain_imp(Object* self, SEL) {
    retain(self);
    return self;
}

// Test hooks.
int kiln_fake_take_errors(char* out, int len) {
    std::lock_guard<std::recursive_mutex> g(lock);
    std::string all;
    for (auto& e : errors) all += e + "\n";
    int n = (int) errors.size();
    errors.clear();
    std::snprintf(out, len, "%s", all.c_str());
    return n;
}

long kiln_fake_live_objects(void) {
    std::lock_guard<std::recursive_mutex> g(lock);
    return live;
}

long kiln_fake_counter(const char* name) {
    std::lock_guard<std::recursive_mutex> g(lock);
    return counters[name];
}

int kiln_fake_open_pools(void) { return (int) pool_marks.size(); }
}

// objc_msgSend and objc_msgSend_stret (x86-64 System V): save every argument register, look
// the method up, restore them, and jump, leaving the caller's stack arguments in place.
#if defined(__x86_64__)
#define KILN_TRAMPOLINE(name, self_reg, sel_reg)                     \
    ".globl " #name "\n"                                             \
    ".type " #name ",@function\n" #name ":\n"                        \
    "  push %rbp\n"                                                  \
    "  mov %rsp, %rbp\n"                                             \
    "  sub $192, %rsp\n"                                             \
    "  mov %rdi, 0(%rsp)\n  mov %rsi, 8(%rsp)\n  mov %rdx, 16(%rsp)\n" \
    "  mov %rcx, 24(%rsp)\n  mov %r8, 32(%rsp)\n  mov %r9, 40(%rsp)\n" \
    "  mov %rax, 48(%rsp)\n"                                         \
    "  movdqu %xmm0, 64(%rsp)\n  movdqu %xmm1, 80(%rsp)\n"           \
    "  movdqu %xmm2, 96(%rsp)\n  movdqu %xmm3, 112(%rsp)\n"          \
    "  movdqu %xmm4, 128(%rsp)\n  movdqu %xmm5, 144(%rsp)\n"         \
    "  movdqu %xmm6, 160(%rsp)\n  movdqu %xmm7, 176(%rsp)\n"         \
    "  mov " self_reg ", %rdi\n  mov " sel_reg ", %rsi\n"            \
    "  call kiln_fake_lookup@PLT\n"                                  \
    "  mov %rax, %r11\n"                                             \
    "  mov 0(%rsp), %rdi\n  mov 8(%rsp), %rsi\n  mov 16(%rsp), %rdx\n" \
    "  mov 24(%rsp), %rcx\n  mov 32(%rsp), %r8\n  mov 40(%rsp), %r9\n" \
    "  mov 48(%rsp), %rax\n"                                         \
    "  movdqu 64(%rsp), %xmm0\n  movdqu 80(%rsp), %xmm1\n"           \
    "  movdqu 96(%rsp), %xmm2\n  movdqu 112(%rsp), %xmm3\n"          \
    "  movdqu 128(%rsp), %xmm4\n  movdqu 144(%rsp), %xmm5\n"         \
    "  movdqu 160(%rsp), %xmm6\n  movdqu 176(%rsp), %xmm7\n"         \
    "  leave\n"                                                      \
    "  jmp *%r11\n"                                                  \
    ".size " #name ", .-" #name "\n"
asm(".text\n" KILN_TRAMPOLINE(objc_msgSend, "%rdi", "%rsi") KILN_TRAMPOLINE(objc_msgSend_stret, "%rsi", "%rdx"));
#else
#error "the fake Objective-C runtime's trampolines exist for x86-64 only"
#endif

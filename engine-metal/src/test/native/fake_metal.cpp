// A fake Metal framework on the fake Objective-C runtime: MTLCreateSystemDefaultDevice and the
// classes and selectors Kiln's Metal backend sends, with Metal's rules checked (page-aligned
// no-copy buffers, an encoder ended before commit, threadgroup memory in multiples of 16, at
// most 1024 threads per threadgroup). Command buffers run when waited for, as lazily as a GPU
// may: each dispatch goes to the CPU emulator of the Metal kernels. Failures can be injected
// (kiln_fake_fail) to test the error paths.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fake_objc_runtime.h"

extern "C" int kiln_metal_emu_has_kernel(const char* name);
extern "C" int kiln_metal_emu_dispatch(const char* name, const unsigned* grid, const unsigned* size, void** buffers,
                                       const unsigned long* buffer_bytes, const unsigned long* threadgroup_bytes,
                                       char* err, int err_len);

using namespace fake;

typedef signed char BOOL;
struct MTLSize {
    unsigned long width, height, depth;
};

namespace {
constexpr std::size_t CANARY = 64;
std::string fail_device, fail_library, fail_commands, fail_buffer;

struct NSString : Object {
    using Object::Object;
    std::string text;
};

struct NSError : Object {
    using Object::Object;
    std::string message;
};

NSString* make_string(const std::string& s);

struct Buffer : Object {
    using Object::Object;
    unsigned char* memory = nullptr;
    unsigned long length = 0;
    bool owned = false;
    void dealloc() override {
        check();
        if (owned) std::free(memory);
    }
    // Bytes after an owned buffer hold a canary: a kernel writing past the end is caught.
    void check() {
        if (!owned) return;
        for (std::size_t i = 0; i < CANARY; i++) {
            if (memory[length + i] != 0xa5) {
                error("a kernel wrote past the end of an MTLBuffer of " + std::to_string(length) + " bytes");
                memory[length + i] = 0xa5;
            }
        }
    }
};

struct Library : Object {
    using Object::Object;
    std::string source;
};

struct Function : Object {
    using Object::Object;
    std::string name;
};

struct Pipeline : Object {
    using Object::Object;
    std::string name;
};

struct Dispatch {
    std::string kernel;
    unsigned grid[3], size[3];
    void* buffers[31];
    unsigned long bytes[31];
    unsigned long threadgroup[31];
    std::vector<std::vector<unsigned char>> inline_bytes;
};

struct Encoder : Object {
    using Object::Object;
    Pipeline* pipeline = nullptr;
    Buffer* buffers[31] = {};
    unsigned long offsets[31] = {};
    std::vector<unsigned char> inline_bytes[31];
    bool has_inline[31] = {};
    unsigned long threadgroup[31] = {};
    bool ended = false;
    struct CommandBuffer* owner = nullptr;
};

struct CommandBuffer : Object {
    using Object::Object;
    std::vector<Dispatch> work;
    std::vector<Object*> held;  // retained references, as Metal keeps them
    std::vector<Encoder*> encoders;
    int status = 0;             // MTLCommandBufferStatusNotEnqueued
    NSError* failure = nullptr;
    void dealloc() override {
        for (Object* o : held) release(o);
        release(failure);
    }
};

struct Queue : Object {
    using Object::Object;
};

struct Device : Object {
    using Object::Object;
};

Class* cls(const char* n) { return &define_class(n); }

NSString* make_string(const std::string& s) {
    NSString* r = new NSString(*cls("NSString"));
    r->text = s;
    return r;
}

NSError* make_error(const std::string& m) {
    NSError* e = new NSError(*cls("NSError"));
    e->message = m;
    return e;
}

void set_error(void** out, const std::string& m) {
    // Cocoa's convention: the error comes back autoreleased.
    NSError* e = make_error(m);
    autorelease(e);
    if (out) *out = e;
}

// NSString
Object* string_alloc(Class*, SEL) { return new NSString(*cls("NSString")); }
Object* string_init(NSString* self, SEL, const char* utf8) {
    self->text = utf8;
    return self;
}
const char* string_utf8(NSString* self, SEL) { return self->text.c_str(); }

// NSError
Object* error_description(NSError* self, SEL) { return autorelease(make_string(self->message)); }

// MTLCompileOptions
Object* options_alloc(Class*, SEL) { return new Object(*cls("MTLCompileOptions")); }
Object* options_init(Object* self, SEL) { return self; }
void options_fast_math(Object*, SEL, BOOL on) {
    if (on) error("fast math was left on: Kiln's kernels compare with the reference kernels exactly");
}

// MTLDevice
Object* device_name(Device*, SEL) { return autorelease(make_string("Kiln fake Metal device")); }
BOOL device_supports_family(Device*, SEL, long family) { return family >= 1001 && family <= 1008; }
BOOL device_unified(Device*, SEL) { return 1; }
MTLSize device_max_threads(Device*, SEL) { return MTLSize{1024, 1024, 1024}; }
Object* device_new_queue(Device*, SEL) { return new Queue(*cls("MTLCommandQueue")); }

Object* device_new_buffer(Device*, SEL, unsigned long length, unsigned long options) {
    count("newBufferWithLength");
    if (!fail_buffer.empty()) {
        fail_buffer.clear();
        return nullptr;
    }
    if ((options & 0xf0) != 0) error("a buffer without shared storage: the host could not read it");
    Buffer* b = new Buffer(*cls("MTLBuffer"));
    std::size_t bytes = (length + CANARY + 4095) / 4096 * 4096;
    b->memory = static_cast<unsigned char*>(std::aligned_alloc(4096, bytes));
    std::memset(b->memory, 0, length);
    std::memset(b->memory + length, 0xa5, CANARY);
    b->length = length;
    b->owned = true;
    return b;
}

Object* device_wrap(Device*, SEL, void* pointer, unsigned long length, unsigned long options, void* deallocator) {
    count("newBufferWithBytesNoCopy");
    long page = sysconf(_SC_PAGESIZE);
    if (reinterpret_cast<unsigned long>(pointer) % page != 0 || length % page != 0 || length == 0) {
        error("newBufferWithBytesNoCopy needs a page-aligned pointer and a length in whole pages");
        return nullptr;
    }
    if (deallocator) error("a deallocator block was passed; Kiln owns the memory it wraps");
    if ((options & 0xf0) != 0) error("a no-copy buffer without shared storage");
    Buffer* b = new Buffer(*cls("MTLBuffer"));
    b->memory = static_cast<unsigned char*>(pointer);
    b->length = length;
    return b;
}

Object* device_new_library(Device*, SEL, NSString* source, Object* options, void** err) {
    count("newLibraryWithSource");
    if (!options) error("newLibraryWithSource without compile options");
    if (!fail_library.empty()) {
        set_error(err, fail_library);
        fail_library.clear();
        return nullptr;
    }
    Library* l = new Library(*cls("MTLLibrary"));
    l->source = source->text;
    return l;
}

Object* device_new_pipeline(Device*, SEL, Function* f, void** err) {
    if (!f) {
        set_error(err, "no function");
        return nullptr;
    }
    Pipeline* p = new Pipeline(*cls("MTLComputePipelineState"));
    p->name = f->name;
    return p;
}

// MTLLibrary: a function exists when the source defines it and the emulator was built with it.
Object* library_function(Library* self, SEL, NSString* name) {
    if (self->source.find("kernel void " + name->text + "(") == std::string::npos
        || !kiln_metal_emu_has_kernel(name->text.c_str())) {
        return nullptr;
    }
    Function* f = new Function(*cls("MTLFunction"));
    f->name = name->text;
    return f;
}

unsigned long pipeline_max_threads(Pipeline*, SEL) { return 1024; }
unsigned long pipeline_width(Pipeline*, SEL) { return 32; }

// MTLBuffer
void* buffer_contents(Buffer* self, SEL) { return self->memory; }
unsigned long buffer_length(Buffer* self, SEL) { return self->length; }

// MTLCommandQueue and MTLCommandBuffer
Object* queue_command_buffer(Queue*, SEL) { return autorelease(new CommandBuffer(*cls("MTLCommandBuffer"))); }

Object* commands_encoder(CommandBuffer* self, SEL) {
    Encoder* e = new Encoder(*cls("MTLComputeCommandEncoder"));
    e->owner = self;
    self->encoders.push_back(e);
    retain(e);
    self->held.push_back(e);
    return autorelease(e);
}

void commands_commit(CommandBuffer* self, SEL) {
    count("commit");
    for (Encoder* e : self->encoders) {
        if (!e->ended) error("commit of a command buffer whose encoder was not ended");
    }
    if (self->status != 0) error("a command buffer was committed twice");
    self->status = 2;  // committed
}

void commands_wait(CommandBuffer* self, SEL) {
    if (self->status != 2) {
        error("waitUntilCompleted on a command buffer that was not committed");
        return;
    }
    self->status = 4;  // completed
    if (!fail_commands.empty()) {
        self->failure = make_error(fail_commands);
        fail_commands.clear();
        self->status = 5;
        return;
    }
    for (Dispatch& d : self->work) {
        char err[1024];
        count("dispatch");
        if (kiln_metal_emu_dispatch(d.kernel.c_str(), d.grid, d.size, d.buffers, d.bytes, d.threadgroup, err, sizeof err)
            != 0) {
            self->failure = make_error(std::string("Execution of the command buffer was aborted: ") + err);
            self->status = 5;
            break;
        }
    }
    for (Object* o : self->held) {
        if (std::strcmp(o->cls->name.c_str(), "MTLBuffer") == 0) static_cast<Buffer*>(o)->check();
    }
}

unsigned long commands_status(CommandBuffer* self, SEL) { return self->status; }
Object* commands_error(CommandBuffer* self, SEL) { return self->failure; }

// MTLComputeCommandEncoder
bool usable(Encoder* e, const char* what) {
    if (e->ended) {
        error(std::string(what) + " after endEncoding");
        return false;
    }
    return true;
}

void encoder_pipeline(Encoder* self, SEL, Pipeline* p) {
    if (!usable(self, "setComputePipelineState:")) return;
    retain(p);
    self->owner->held.push_back(p);
    self->pipeline = p;
}

void encoder_buffer(Encoder* self, SEL, Buffer* b, unsigned long offset, unsigned long index) {
    if (!usable(self, "setBuffer:offset:atIndex:")) return;
    if (index > 30) error("buffer index " + std::to_string(index) + " is out of range");
    if (b && offset % 4 != 0) error("a buffer offset that is not a multiple of 4");
    if (b && offset > b->length) error("a buffer offset past the end of the buffer");
    if (b) {
        retain(b);
        self->owner->held.push_back(b);
    }
    self->buffers[index] = b;
    self->offsets[index] = offset;
    self->has_inline[index] = false;
}

void encoder_bytes(Encoder* self, SEL, const void* bytes, unsigned long length, unsigned long index) {
    if (!usable(self, "setBytes:length:atIndex:")) return;
    if (length > 4096) error("setBytes: is for at most 4 KB");
    const unsigned char* p = static_cast<const unsigned char*>(bytes);
    self->inline_bytes[index].assign(p, p + length);
    self->has_inline[index] = true;
    self->buffers[index] = nullptr;
}

void encoder_threadgroup_memory(Encoder* self, SEL, unsigned long length, unsigned long index) {
    if (!usable(self, "setThreadgroupMemoryLength:atIndex:")) return;
    if (length % 16 != 0) error("threadgroup memory length " + std::to_string(length) + " is not a multiple of 16");
    if (length > 32768) error("more than 32 KB of threadgroup memory");
    self->threadgroup[index] = length;
}

void encoder_dispatch(Encoder* self, SEL, MTLSize groups, MTLSize threads) {
    if (!usable(self, "dispatchThreadgroups:threadsPerThreadgroup:")) return;
    if (!self->pipeline) {
        error("dispatch before setComputePipelineState:");
        return;
    }
    if (threads.width * threads.height * threads.depth > 1024) error("more than 1024 threads per threadgroup");
    Dispatch d;
    d.kernel = self->pipeline->name;
    d.grid[0] = (unsigned) groups.width;
    d.grid[1] = (unsigned) groups.height;
    d.grid[2] = (unsigned) groups.depth;
    d.size[0] = (unsigned) threads.width;
    d.size[1] = (unsigned) threads.height;
    d.size[2] = (unsigned) threads.depth;
    d.inline_bytes.resize(31);
    for (int i = 0; i < 31; i++) {
        d.threadgroup[i] = self->threadgroup[i];
        if (self->has_inline[i]) {
            d.inline_bytes[i] = self->inline_bytes[i];
        }
        d.buffers[i] = nullptr;
        d.bytes[i] = 0;
    }
    self->owner->work.push_back(d);
    Dispatch& w = self->owner->work.back();
    for (int i = 0; i < 31; i++) {
        if (self->has_inline[i]) {
            w.buffers[i] = w.inline_bytes[i].data();
            w.bytes[i] = w.inline_bytes[i].size();
        } else if (self->buffers[i]) {
            w.buffers[i] = self->buffers[i]->memory + self->offsets[i];
            w.bytes[i] = self->buffers[i]->length - self->offsets[i];
        }
    }
}

void encoder_end(Encoder* self, SEL) {
    if (self->ended) error("endEncoding twice");
    self->ended = true;
}

struct Definitions {
    Definitions() {
        Class& s = define_class("NSString");
        class_method(s, "alloc", &string_alloc);
        method(s, "initWithUTF8String:", &string_init);
        method(s, "UTF8String", &string_utf8);
        method(define_class("NSError"), "localizedDescription", &error_description);
        Class& o = define_class("MTLCompileOptions");
        class_method(o, "alloc", &options_alloc);
        method(o, "init", &options_init);
        method(o, "setFastMathEnabled:", &options_fast_math);
        Class& d = define_class("MTLDevice");
        method(d, "name", &device_name);
        method(d, "supportsFamily:", &device_supports_family);
        method(d, "hasUnifiedMemory", &device_unified);
        method(d, "maxThreadsPerThreadgroup", &device_max_threads);
        method(d, "newCommandQueue", &device_new_queue);
        method(d, "newBufferWithLength:options:", &device_new_buffer);
        method(d, "newBufferWithBytesNoCopy:length:options:deallocator:", &device_wrap);
        method(d, "newLibraryWithSource:options:error:", &device_new_library);
        method(d, "newComputePipelineStateWithFunction:error:", &device_new_pipeline);
        method(define_class("MTLLibrary"), "newFunctionWithName:", &library_function);
        define_class("MTLFunction");
        Class& p = define_class("MTLComputePipelineState");
        method(p, "maxTotalThreadsPerThreadgroup", &pipeline_max_threads);
        method(p, "threadExecutionWidth", &pipeline_width);
        Class& b = define_class("MTLBuffer");
        method(b, "contents", &buffer_contents);
        method(b, "length", &buffer_length);
        method(define_class("MTLCommandQueue"), "commandBuffer", &queue_command_buffer);
        Class& c = define_class("MTLCommandBuffer");
        method(c, "computeCommandEncoder", &commands_encoder);
        method(c, "commit", &commands_commit);
        method(c, "waitUntilCompleted", &commands_wait);
        method(c, "status", &commands_status);
        method(c, "error", &commands_error);
        Class& e = define_class("MTLComputeCommandEncoder");
        method(e, "setComputePipelineState:", &encoder_pipeline);
        method(e, "setBuffer:offset:atIndex:", &encoder_buffer);
        method(e, "setBytes:length:atIndex:", &encoder_bytes);
        method(e, "setThreadgroupMemoryLength:atIndex:", &encoder_threadgroup_memory);
        method(e, "dispatchThreadgroups:threadsPerThreadgroup:", &encoder_dispatch);
        method(e, "endEncoding", &encoder_end);
    }
} definitions;
}  // namespace

extern "C" {
// Metal's one C entry point: the device, owned by the caller (the Create rule).
void* MTLCreateSystemDefaultDevice(void) {
    if (!fail_device.empty()) {
        fail_device.clear();
        return nullptr;
    }
    return new Device(*cls("MTLDevice"));
}

// Makes the next call of one kind fail: "device" (no device), "library" (a compile error with
// `message`), "commands" (the next command buffer ends in error with `message`), "buffer"
// (the next newBufferWithLength returns nil).
void kiln_fake_fail(const char* what, const char* message) {
    std::string w = what;
    if (w == "device") fail_device = message;
    else if (w == "library") fail_library = message;
    else if (w == "commands") fail_commands = message;
    else if (w == "buffer") fail_buffer = message;
    else error("kiln_fake_fail: unknown failure " + w);
}
}

// The fake Objective-C runtime's object model, shared with the fake Metal framework.
#pragma once

#include <map>
#include <string>

typedef struct kiln_fake_selector* SEL;
typedef void (*IMP)(void);

namespace fake {
struct Class {
    std::string name;
    std::map<std::string, IMP> methods;
    std::map<std::string, IMP> class_methods;
};

// Every fake object: a class, a reference count, and a dead flag kept after the last release,
// so a later message to it is reported instead of reading freed memory.
struct Object {
    explicit Object(Class& c);
    virtual ~Object();
    // Releases what the object holds when its count drops to zero.
    virtual void dealloc() {}
    Class* cls;
    int refs = 1;
    bool dead = false;
};

Class& define_class(const char* name);
void release(Object* o);
void retain(Object* o);
Object* autorelease(Object* o);
void error(const std::string& m);
void count(const char* what);
const char* sel_name(SEL s);

template <class F>
void method(Class& c, const char* sel, F f) {
    c.methods[sel] = reinterpret_cast<IMP>(f);
}
template <class F>
void class_method(Class& c, const char* sel, F f) {
    c.class_methods[sel] = reinterpret_cast<IMP>(f);
}
}  // namespace fake

extern "C" {
void fake_release_imp(fake::Object* self, SEL);
fake::Object* fake_retain_imp(fake::Object* self, SEL);
}

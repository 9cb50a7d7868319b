// The C view of the Objective-C runtime and Metal that Kiln binds through FFM; jextract reads
// this file (regenerate.sh) and writes engine-metal's dev.kiln.metal.ffm. Metal's own headers
// are Objective-C, which jextract cannot read, so the few declarations Kiln uses are restated
// here in C with the ABI types of the 64-bit Apple platforms (id, SEL and Class are pointers,
// NSUInteger and NSInteger are 64-bit, BOOL is one byte).
//
// objc_msgSend is called with the exact signature of each method it dispatches to, never as a
// variadic function: each msg_* typedef below is one such signature (p: pointer, j: 64-bit
// integer, b: BOOL, s: MTLSize by value, v: void), and gets one downcall handle. On x86-64 a
// method returning a struct in memory goes through objc_msgSend_stret instead (same signature).
#include <stdint.h>

typedef void* id;
typedef void* SEL;
typedef signed char BOOL;
typedef unsigned long NSUInteger;

// MTLSize, passed by value to dispatchThreadgroups:threadsPerThreadgroup:.
typedef struct MTLSize {
    NSUInteger width;
    NSUInteger height;
    NSUInteger depth;
} MTLSize;

// libobjc
id objc_getClass(const char* name);
SEL sel_registerName(const char* name);
void objc_msgSend(void);
void objc_msgSend_stret(void);
void* objc_autoreleasePoolPush(void);
void objc_autoreleasePoolPop(void* pool);

// Metal
id MTLCreateSystemDefaultDevice(void);

// libc
int getpagesize(void);

// The signatures Kiln sends.
typedef id (*msg_p)(id self, SEL op);
typedef id (*msg_p_p)(id self, SEL op, void* a);
typedef id (*msg_p_pp)(id self, SEL op, void* a, void* b);
typedef id (*msg_p_ppp)(id self, SEL op, void* a, void* b, void* c);
typedef id (*msg_p_jj)(id self, SEL op, NSUInteger a, NSUInteger b);
typedef id (*msg_p_pjjp)(id self, SEL op, void* a, NSUInteger b, NSUInteger c, void* d);
typedef NSUInteger (*msg_j)(id self, SEL op);
typedef BOOL (*msg_b)(id self, SEL op);
typedef BOOL (*msg_b_j)(id self, SEL op, NSUInteger a);
typedef MTLSize (*msg_s)(id self, SEL op);
typedef void (*msg_v)(id self, SEL op);
typedef void (*msg_v_p)(id self, SEL op, void* a);
typedef void (*msg_v_b)(id self, SEL op, BOOL a);
typedef void (*msg_v_jj)(id self, SEL op, NSUInteger a, NSUInteger b);
typedef void (*msg_v_pjj)(id self, SEL op, void* a, NSUInteger b, NSUInteger c);
typedef void (*msg_v_ss)(id self, SEL op, MTLSize a, MTLSize b);

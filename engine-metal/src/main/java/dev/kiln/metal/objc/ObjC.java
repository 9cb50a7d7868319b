package dev.kiln.metal.objc;

import dev.kiln.metal.ffm.MTLSize;
import dev.kiln.metal.ffm.msg_b;
import dev.kiln.metal.ffm.msg_b_j;
import dev.kiln.metal.ffm.msg_j;
import dev.kiln.metal.ffm.msg_p;
import dev.kiln.metal.ffm.msg_p_jj;
import dev.kiln.metal.ffm.msg_p_p;
import dev.kiln.metal.ffm.msg_p_pjjp;
import dev.kiln.metal.ffm.msg_p_pp;
import dev.kiln.metal.ffm.msg_p_ppp;
import dev.kiln.metal.ffm.msg_s;
import dev.kiln.metal.ffm.msg_v;
import dev.kiln.metal.ffm.msg_v_b;
import dev.kiln.metal.ffm.msg_v_jj;
import dev.kiln.metal.ffm.msg_v_p;
import dev.kiln.metal.ffm.msg_v_pjj;
import dev.kiln.metal.ffm.msg_v_ss;
import dev.kiln.metal.ffm.objc_h;
import java.lang.foreign.Arena;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Messages to Objective-C objects over the generated bindings ({@code dev.kiln.metal.ffm}):
 * one typed send per call signature, the right {@code objc_msgSend} entry point for each
 * return type, and selectors and classes looked up once per process. Receivers and results
 * are raw pointers; who owns what is {@link ObjCObject}'s business.
 */
public final class ObjC {
    private static final Map<String, MemorySegment> SELECTORS = new ConcurrentHashMap<>();
    private static final Map<String, MemorySegment> CLASSES = new ConcurrentHashMap<>();
    private static final boolean STRET_ARCH = usesStret(System.getProperty("os.arch"));

    private ObjC() {
    }

    /** The selector named {@code name}, registered with the runtime on first use only. */
    public static MemorySegment sel(String name) {
        return SELECTORS.computeIfAbsent(name, n -> {
            try (Arena a = Arena.ofConfined()) {
                return objc_h.sel_registerName(a.allocateFrom(n));
            }
        });
    }

    /**
     * The class named {@code name}.
     *
     * @throws IllegalStateException when the runtime has no such class (its framework is not loaded)
     */
    public static MemorySegment cls(String name) {
        MemorySegment c = CLASSES.computeIfAbsent(name, n -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment r = objc_h.objc_getClass(a.allocateFrom(n));
                return r.equals(MemorySegment.NULL) ? null : r;
            }
        });
        if (c == null) {
            throw new IllegalStateException("the Objective-C runtime has no class " + name);
        }
        return c;
    }

    /** True on architectures whose runtime returns large structs through {@code objc_msgSend_stret}. */
    public static boolean usesStret(String osArch) {
        String a = osArch.toLowerCase(Locale.ROOT);
        return a.equals("x86_64") || a.equals("amd64");
    }

    /**
     * True when a method returning {@code returned} must be sent with {@code objc_msgSend_stret}:
     * on x86-64, a struct larger than 16 bytes comes back in memory the caller passes, which
     * {@code objc_msgSend} cannot handle; arm64 has one entry point for everything.
     */
    public static boolean needsStret(MemoryLayout returned, boolean stretArch) {
        return stretArch && returned instanceof GroupLayout && returned.byteSize() > 16;
    }

    /** The entry point to send a message whose method returns {@code returned} ({@code null} for void). */
    static MemorySegment entry(MemoryLayout returned) {
        return returned != null && needsStret(returned, STRET_ARCH) ? objc_h.objc_msgSend_stret$address()
                : objc_h.objc_msgSend$address();
    }

    private static MemorySegment msgSend() {
        return objc_h.objc_msgSend$address();
    }

    /** {@code id [self sel]} (also any pointer result). */
    public static MemorySegment send(MemorySegment self, String sel) {
        return msg_p.invoke(msgSend(), self, sel(sel));
    }

    /** {@code id [self sel:a]} with a pointer argument. */
    public static MemorySegment send(MemorySegment self, String sel, MemorySegment a) {
        return msg_p_p.invoke(msgSend(), self, sel(sel), a);
    }

    /** {@code id [self sel:a b:b]} with pointer arguments. */
    public static MemorySegment send(MemorySegment self, String sel, MemorySegment a, MemorySegment b) {
        return msg_p_pp.invoke(msgSend(), self, sel(sel), a, b);
    }

    /** {@code id [self sel:a b:b c:c]} with pointer arguments. */
    public static MemorySegment send(MemorySegment self, String sel, MemorySegment a, MemorySegment b, MemorySegment c) {
        return msg_p_ppp.invoke(msgSend(), self, sel(sel), a, b, c);
    }

    /** {@code id [self sel:a b:b]} with NSUInteger arguments. */
    public static MemorySegment send(MemorySegment self, String sel, long a, long b) {
        return msg_p_jj.invoke(msgSend(), self, sel(sel), a, b);
    }

    /** {@code id [self sel:pointer b:b c:c d:pointer]}. */
    public static MemorySegment send(MemorySegment self, String sel, MemorySegment a, long b, long c, MemorySegment d) {
        return msg_p_pjjp.invoke(msgSend(), self, sel(sel), a, b, c, d);
    }

    /** {@code NSUInteger [self sel]}. */
    public static long sendLong(MemorySegment self, String sel) {
        return msg_j.invoke(msgSend(), self, sel(sel));
    }

    /** {@code BOOL [self sel]}. */
    public static boolean sendBool(MemorySegment self, String sel) {
        return msg_b.invoke(msgSend(), self, sel(sel)) != 0;
    }

    /** {@code BOOL [self sel:a]} with an NSUInteger (or NSInteger) argument. */
    public static boolean sendBool(MemorySegment self, String sel, long a) {
        return msg_b_j.invoke(msgSend(), self, sel(sel), a) != 0;
    }

    /** {@code MTLSize [self sel]}, through {@code objc_msgSend_stret} where the ABI needs it. */
    public static MemorySegment sendSize(MemorySegment self, String sel, SegmentAllocator into) {
        return msg_s.invoke(entry(MTLSize.layout()), into, self, sel(sel));
    }

    /** {@code void [self sel]}. */
    public static void sendVoid(MemorySegment self, String sel) {
        msg_v.invoke(msgSend(), self, sel(sel));
    }

    /** {@code void [self sel:a]} with a pointer argument. */
    public static void sendVoid(MemorySegment self, String sel, MemorySegment a) {
        msg_v_p.invoke(msgSend(), self, sel(sel), a);
    }

    /** {@code void [self sel:flag]} with a BOOL argument. */
    public static void sendVoid(MemorySegment self, String sel, boolean a) {
        msg_v_b.invoke(msgSend(), self, sel(sel), (byte) (a ? 1 : 0));
    }

    /** {@code void [self sel:a b:b]} with NSUInteger arguments. */
    public static void sendVoid(MemorySegment self, String sel, long a, long b) {
        msg_v_jj.invoke(msgSend(), self, sel(sel), a, b);
    }

    /** {@code void [self sel:pointer b:b c:c]}. */
    public static void sendVoid(MemorySegment self, String sel, MemorySegment a, long b, long c) {
        msg_v_pjj.invoke(msgSend(), self, sel(sel), a, b, c);
    }

    /** {@code void [self sel:size1 b:size2]} with two MTLSize structs passed by value. */
    public static void sendVoid(MemorySegment self, String sel, MemorySegment size1, MemorySegment size2) {
        msg_v_ss.invoke(msgSend(), self, sel(sel), size1, size2);
    }

    /** An MTLSize in {@code arena}. */
    public static MemorySegment size(SegmentAllocator arena, long width, long height, long depth) {
        MemorySegment s = MTLSize.allocate(arena);
        MTLSize.width(s, width);
        MTLSize.height(s, height);
        MTLSize.depth(s, depth);
        return s;
    }

    /** True when {@code p} is nil. */
    public static boolean isNil(MemorySegment p) {
        return p == null || p.address() == 0;
    }

    /**
     * A new NSString with {@code text} (+1, released by the caller).
     */
    public static ObjCObject string(String text) {
        MemorySegment s = send(cls("NSString"), "alloc");
        try (Arena a = Arena.ofConfined()) {
            return new ObjCObject(send(s, "initWithUTF8String:", a.allocateFrom(text)), "NSString");
        }
    }

    /** The text of an NSString. */
    public static String text(MemorySegment nsString) {
        if (isNil(nsString)) {
            return "";
        }
        return send(nsString, "UTF8String").getString(0);
    }
}

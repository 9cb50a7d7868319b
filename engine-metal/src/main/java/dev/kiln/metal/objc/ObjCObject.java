package dev.kiln.metal.objc;

import java.lang.foreign.MemorySegment;

/**
 * An Objective-C object Kiln owns (a +1 reference: from {@code new...}, {@code alloc},
 * {@code copy}, or a C function named {@code Create}), released exactly once by
 * {@link #close()}. Objects the runtime hands out autoreleased are never wrapped: they live in
 * an {@link AutoreleasePool}.
 */
public final class ObjCObject implements AutoCloseable {
    private final String what;
    private MemorySegment self;

    /**
     * @param self the object; must not be nil
     * @param what its class, for messages
     */
    public ObjCObject(MemorySegment self, String what) {
        if (ObjC.isNil(self)) {
            throw new IllegalArgumentException("a nil " + what);
        }
        this.self = self;
        this.what = what;
    }

    /**
     * The object.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized MemorySegment id() {
        if (self == null) {
            throw new IllegalStateException("this " + what + " was released");
        }
        return self;
    }

    /** Sends {@code release}, once. */
    @Override
    public synchronized void close() {
        if (self != null) {
            ObjC.sendVoid(self, "release");
            self = null;
        }
    }

    @Override
    public String toString() {
        return what;
    }
}

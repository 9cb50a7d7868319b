package dev.kiln.metal.objc;

import dev.kiln.metal.ffm.objc_h;
import java.lang.foreign.MemorySegment;

/**
 * An autorelease pool, pushed when made and popped by {@link #close()} on the same thread:
 * what Cocoa methods return autoreleased (a command buffer, an encoder, an error's
 * description) is released there, at a point Kiln chooses, instead of leaking.
 */
public final class AutoreleasePool implements AutoCloseable {
    private final MemorySegment token = objc_h.objc_autoreleasePoolPush();
    private final Thread owner = Thread.currentThread();
    private boolean popped;

    @Override
    public void close() {
        if (popped) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an autorelease pool must be popped on the thread that pushed it");
        }
        popped = true;
        objc_h.objc_autoreleasePoolPop(token);
    }
}

package dev.kiln.metal;

import dev.kiln.metal.objc.ObjCObject;
import java.lang.foreign.MemorySegment;

/**
 * An MTLBuffer in shared storage, and its memory as the host sees it: the same bytes the GPU
 * reads and writes.
 *
 * @param handle the buffer (owned)
 * @param contents its memory
 */
record MetalBuffer(ObjCObject handle, MemorySegment contents) implements AutoCloseable {
    /** The host (and, on unified memory, device) address of the first byte. */
    long address() {
        return contents.address();
    }

    /** True when {@code [address, address + bytes)} lies inside this buffer. */
    boolean holds(long address, long bytes) {
        return address >= address() && address + bytes <= address() + contents.byteSize();
    }

    @Override
    public void close() {
        handle.close();
    }
}

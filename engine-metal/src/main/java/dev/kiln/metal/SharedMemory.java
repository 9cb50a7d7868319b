package dev.kiln.metal;

import java.lang.foreign.MemorySegment;

/**
 * How a tensor's memory can be shared with the GPU without a copy. newBufferWithBytesNoCopy
 * takes whole pages only, so a tensor is wrapped by the pages around it: always possible for a
 * memory-mapped file (weights used in place: the mapping covers whole pages), otherwise only
 * for memory that is itself page-aligned and a whole number of pages. The tensor's address
 * must also suit its elements, since kernels read them at the buffer offset. Anything else is
 * copied once.
 */
final class SharedMemory {
    private SharedMemory() {
    }

    /**
     * The pages to wrap for {@code data}, whose elements are {@code elementBytes} wide, as
     * {start, length}; {@code null} when it must be copied.
     */
    static long[] pages(MemorySegment data, long elementBytes, long pageSize) {
        long at = data.address();
        long bytes = data.byteSize();
        if (bytes == 0 || at % Math.max(elementBytes, 1) != 0) {
            return null;
        }
        if (data.isMapped()) {
            long start = at - at % pageSize;
            long end = (at + bytes + pageSize - 1) / pageSize * pageSize;
            return new long[] {start, end - start};
        }
        return at % pageSize == 0 && bytes % pageSize == 0 ? new long[] {at, bytes} : null;
    }
}

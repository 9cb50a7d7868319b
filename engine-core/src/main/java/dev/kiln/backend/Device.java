package dev.kiln.backend;

/**
 * A device kernels run on.
 *
 * @param kind {@code cpu}, {@code cuda} or {@code metal}
 * @param index the device ordinal
 * @param hostMemory true when kernels read and write host memory directly
 */
public record Device(String kind, int index, boolean hostMemory) {
    /** The host CPU. */
    public static final Device CPU = new Device("cpu", 0, true);

    @Override
    public String toString() {
        return kind + ":" + index;
    }
}

package dev.kiln.compile;

import dev.kiln.backend.DeviceRuntime;

/**
 * The device side of a plan: which values live in device memory, their places in the device
 * arena (planned by liveness like the host arena), each transfer's slot in the pinned staging
 * buffer, and each device step's scratch. On a device sharing memory with the host, values
 * that cross live in staging slots instead ({@link #stagingPlace}). Immutable.
 */
public final class DevicePlan {
    /** The plan of a graph that runs on the host alone. */
    static final DevicePlan NONE = new DevicePlan(null, new boolean[0], new long[0], 0, new long[0], 0, new long[0],
            new long[0]);

    private final DeviceRuntime runtime;
    private final boolean[] onDevice;
    private final long[] offset;
    private final long arenaSize;
    private final long[] stagingOffset;
    private final long stagingSize;
    private final long[] scratchOffset;
    private final long[] inStaging;

    DevicePlan(DeviceRuntime runtime, boolean[] onDevice, long[] offset, long arenaSize, long[] stagingOffset,
               long stagingSize, long[] scratchOffset, long[] inStaging) {
        this.runtime = runtime;
        this.onDevice = onDevice;
        this.offset = offset;
        this.arenaSize = arenaSize;
        this.stagingOffset = stagingOffset;
        this.stagingSize = stagingSize;
        this.scratchOffset = scratchOffset;
        this.inStaging = inStaging;
    }

    /** The runtime of the accelerator the plan uses, or {@code null} when every step runs on the host. */
    public DeviceRuntime runtime() {
        return runtime;
    }

    /** True when value {@code id} lives in device memory. */
    public boolean onDevice(int id) {
        return id < onDevice.length && onDevice[id];
    }

    /** The offset of device value {@code id} (an alias root) in the device arena, or -1. */
    public long offset(int id) {
        return id < offset.length ? offset[id] : -1;
    }

    /**
     * The staging offset where device value {@code id} (an alias root) lives on a device that
     * shares memory with the host, or -1 when it lives in the arena (or is a constant).
     */
    public long stagingPlace(int id) {
        return id < inStaging.length ? inStaging[id] : -1;
    }

    /** Bytes of the device arena of one run. */
    public long arenaSize() {
        return arenaSize;
    }

    /** The staging slot of the value a transfer produces, or -1 when {@code id} is not a transfer's output. */
    public long stagingOffset(int id) {
        return id < stagingOffset.length ? stagingOffset[id] : -1;
    }

    /** Bytes of pinned staging memory of one run. */
    public long stagingSize() {
        return stagingSize;
    }

    /** The device-arena offset of step {@code step}'s scratch, or -1 when it needs none. */
    public long scratchOffset(int step) {
        return step < scratchOffset.length ? scratchOffset[step] : -1;
    }
}

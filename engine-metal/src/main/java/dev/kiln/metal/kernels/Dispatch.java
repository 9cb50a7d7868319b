package dev.kiln.metal.kernels;

/**
 * One dispatchThreadgroups of a kernel: the grid of threadgroups, the threads of each, and
 * what each {@code [[buffer(i)]]} and {@code [[threadgroup(i)]]} parameter receives (a device
 * address, or bytes copied by setBytes).
 */
public final class Dispatch {
    /** Buffer indices a kernel may use. */
    public static final int MAX_BUFFERS = 31;

    private final String kernel;
    private final long[] groups;
    private final long[] threads;
    private final long[] buffers = new long[MAX_BUFFERS];
    private final boolean[] bound = new boolean[MAX_BUFFERS];
    private final byte[][] bytes = new byte[MAX_BUFFERS][];
    private final long[] threadgroup = new long[MAX_BUFFERS];

    Dispatch(String kernel, long[] groups, long[] threads) {
        this.kernel = kernel;
        this.groups = groups.clone();
        this.threads = threads.clone();
    }

    /** {@code groups} threadgroups of {@code threads} threads, one-dimensional. */
    static Dispatch linear(String kernel, long groups, int threads) {
        return new Dispatch(kernel, new long[] {groups, 1, 1}, new long[] {threads, 1, 1});
    }

    /** Enough threadgroups of {@code threads} for one thread per element of {@code n}. */
    static Dispatch perElement(String kernel, long n, int threads) {
        return linear(kernel, Math.max(1, (n + threads - 1) / threads), threads);
    }

    /** Binds a device address (0: nil) to {@code [[buffer(index)]]}. */
    Dispatch buffer(int index, long address) {
        buffers[index] = address;
        bound[index] = true;
        return this;
    }

    /** Copies {@code b} into {@code [[buffer(index)]]} (a parameter struct). */
    Dispatch bytes(int index, byte[] b) {
        bytes[index] = b;
        return this;
    }

    /** Gives {@code [[threadgroup(index)]]} {@code n} bytes. */
    Dispatch threadgroup(int index, long n) {
        threadgroup[index] = n;
        return this;
    }

    /** The kernel function's name. */
    public String kernel() {
        return kernel;
    }

    /** Threadgroups along x, y, z. */
    public long[] groups() {
        return groups.clone();
    }

    /** Threads per threadgroup along x, y, z. */
    public long[] threads() {
        return threads.clone();
    }

    /** True when {@code [[buffer(i)]]} gets a device address. */
    public boolean hasBuffer(int i) {
        return bound[i];
    }

    /** The device address bound to {@code [[buffer(i)]]}. */
    public long buffer(int i) {
        return buffers[i];
    }

    /** The bytes for {@code [[buffer(i)]]}, or {@code null}. */
    public byte[] bytes(int i) {
        return bytes[i];
    }

    /** Bytes of {@code [[threadgroup(i)]]}, 0 when unused. */
    public long threadgroupMemory(int i) {
        return threadgroup[i];
    }
}

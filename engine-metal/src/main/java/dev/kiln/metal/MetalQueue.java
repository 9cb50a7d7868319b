package dev.kiln.metal;

import dev.kiln.BackendUnavailableException;
import dev.kiln.backend.DeviceQueue;
import dev.kiln.metal.kernels.Dispatch;
import dev.kiln.metal.objc.AutoreleasePool;
import dev.kiln.metal.objc.ObjC;
import dev.kiln.metal.objc.ObjCObject;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A run state's Metal work: its arena and staging buffers (shared storage, so the staging
 * buffer is device memory too) and the command buffer being encoded. Dispatches are encoded
 * into one compute encoder until {@link #synchronize()} commits the command buffer and waits.
 * Each command buffer and its encoder are made inside an autorelease pool and retained, and
 * released when the command buffer has completed, so no Objective-C object outlives its use
 * whichever thread closes the queue.
 */
public final class MetalQueue implements DeviceQueue {
    /** MTLCommandBufferStatusCompleted. */
    static final long COMPLETED = 4;

    private final MetalRuntime runtime;
    private final MetalBuffer arena;
    private final MetalBuffer staging;
    private ObjCObject commands;
    private ObjCObject encoder;
    private boolean closed;

    MetalQueue(MetalRuntime runtime, long arenaBytes, long stagingBytes) {
        this.runtime = runtime;
        MetalBuffer a = runtime.allocate(arenaBytes);
        try {
            this.staging = runtime.allocate(stagingBytes);
        } catch (RuntimeException e) {
            runtime.free(a);
            throw e;
        }
        this.arena = a;
    }

    @Override
    public long arena() {
        return arena.address();
    }

    @Override
    public MemorySegment staging() {
        return staging.contents();
    }

    /**
     * Copies on the host once the GPU has finished what was enqueued before: on unified memory
     * the compiler places crossing values in their staging slots, so only a value that lives
     * elsewhere (a view of a weight) is ever copied here.
     */
    @Override
    public void upload(long stagingOffset, long deviceAddress, long bytes) {
        synchronize();
        MemorySegment.copy(staging.contents(), stagingOffset, runtime.bufferAt(deviceAddress, bytes).contents(),
                deviceAddress - runtime.bufferAt(deviceAddress, bytes).address(), bytes);
    }

    @Override
    public void download(long deviceAddress, long stagingOffset, long bytes) {
        synchronize();
        MetalBuffer from = runtime.bufferAt(deviceAddress, bytes);
        MemorySegment.copy(from.contents(), deviceAddress - from.address(), staging.contents(), stagingOffset, bytes);
    }

    /** The device address of a tensor a kernel made at bind time (placed once per session, like a weight). */
    public long constant(dev.kiln.tensor.Tensor t) {
        return runtime.constant(t);
    }

    /** Encodes a dispatch into the current command buffer, starting one when there is none. */
    public void dispatch(Dispatch d) {
        if (encoder == null) {
            begin();
        }
        MemorySegment enc = encoder.id();
        ObjC.sendVoid(enc, "setComputePipelineState:", runtime.metal().pipeline(d.kernel()));
        try (Arena a = Arena.ofConfined()) {
            for (int i = 0; i < Dispatch.MAX_BUFFERS; i++) {
                byte[] bytes = d.bytes(i);
                if (bytes != null) {
                    ObjC.sendVoid(enc, "setBytes:length:atIndex:", a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE,
                            bytes), bytes.length, i);
                } else if (d.hasBuffer(i)) {
                    long address = d.buffer(i);
                    if (address == 0) {
                        ObjC.sendVoid(enc, "setBuffer:offset:atIndex:", MemorySegment.NULL, 0, i);
                    } else {
                        MetalBuffer b = runtime.bufferAt(address, 1);
                        ObjC.sendVoid(enc, "setBuffer:offset:atIndex:", b.handle().id(), address - b.address(), i);
                    }
                }
                long tg = d.threadgroupMemory(i);
                if (tg > 0) {
                    ObjC.sendVoid(enc, "setThreadgroupMemoryLength:atIndex:", (tg + 15) / 16 * 16, i);
                }
            }
            long[] g = d.groups();
            long[] t = d.threads();
            ObjC.sendVoid(enc, "dispatchThreadgroups:threadsPerThreadgroup:", ObjC.size(a, g[0], g[1], g[2]),
                    ObjC.size(a, t[0], t[1], t[2]));
        }
    }

    private void begin() {
        try (AutoreleasePool pool = new AutoreleasePool()) {
            MemorySegment cb = ObjC.send(runtime.metal().queue(), "commandBuffer");
            if (ObjC.isNil(cb)) {
                throw new BackendUnavailableException("Metal gave no command buffer");
            }
            commands = new ObjCObject(ObjC.send(cb, "retain"), "MTLCommandBuffer");
            MemorySegment enc = ObjC.send(cb, "computeCommandEncoder");
            if (ObjC.isNil(enc)) {
                commands.close();
                commands = null;
                throw new BackendUnavailableException("Metal gave no compute command encoder");
            }
            encoder = new ObjCObject(ObjC.send(enc, "retain"), "MTLComputeCommandEncoder");
        }
    }

    /**
     * Commits the command buffer and waits for it.
     *
     * @throws BackendUnavailableException with Metal's description when the GPU failed
     */
    @Override
    public void synchronize() {
        if (commands == null) {
            return;
        }
        try (AutoreleasePool pool = new AutoreleasePool()) {
            MemorySegment cb = commands.id();
            ObjC.sendVoid(encoder.id(), "endEncoding");
            ObjC.sendVoid(cb, "commit");
            ObjC.sendVoid(cb, "waitUntilCompleted");
            if (ObjC.sendLong(cb, "status") != COMPLETED) {
                MemorySegment error = ObjC.send(cb, "error");
                throw new BackendUnavailableException("the Metal command buffer failed: "
                        + (ObjC.isNil(error) ? "no error was given" : ObjC.text(ObjC.send(error, "localizedDescription"))));
            }
        } finally {
            encoder.close();
            commands.close();
            encoder = null;
            commands = null;
        }
    }

    /** Waits for the GPU and releases the buffers. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            synchronize();
        } finally {
            runtime.free(arena);
            runtime.free(staging);
        }
    }
}

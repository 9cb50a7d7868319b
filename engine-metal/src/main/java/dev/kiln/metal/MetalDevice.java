package dev.kiln.metal;

import dev.kiln.BackendUnavailableException;
import dev.kiln.ResourceLimitException;
import dev.kiln.metal.ffm.MTLSize;
import dev.kiln.metal.ffm.objc_h;
import dev.kiln.metal.objc.AutoreleasePool;
import dev.kiln.metal.objc.ObjC;
import dev.kiln.metal.objc.ObjCObject;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One session's Metal device: the MTLDevice, its command queue, the library compiled from
 * Kiln's kernel sources, and a compute pipeline per kernel, made on first use. Everything it
 * holds is released by {@link #close()}.
 */
final class MetalDevice implements AutoCloseable {
    /** MTLGPUFamilyApple7 (M1, A14): the first family with SIMD-group matrices. */
    static final long APPLE7 = 1007;
    /** MTLResourceStorageModeShared | MTLResourceCPUCacheModeDefaultCache. */
    static final long SHARED = 0;

    private final ObjCObject device;
    private final ObjCObject queue;
    private final Map<String, ObjCObject> pipelines = new LinkedHashMap<>();
    private ObjCObject library;

    private MetalDevice(ObjCObject device) {
        this.device = device;
        ObjCObject q = null;
        try {
            q = new ObjCObject(nonNil(ObjC.send(device.id(), "newCommandQueue"), "no command queue"), "MTLCommandQueue");
        } finally {
            if (q == null) {
                device.close();
            }
        }
        this.queue = q;
    }

    /**
     * The system's default device.
     *
     * @throws BackendUnavailableException when there is none
     */
    static MetalDevice systemDefault() {
        MemorySegment d = objc_h.MTLCreateSystemDefaultDevice();
        if (ObjC.isNil(d)) {
            throw new BackendUnavailableException("no Metal device (MTLCreateSystemDefaultDevice returned nil)");
        }
        return new MetalDevice(new ObjCObject(d, "MTLDevice"));
    }

    private static MemorySegment nonNil(MemorySegment p, String why) {
        if (ObjC.isNil(p)) {
            throw new BackendUnavailableException("Metal: " + why);
        }
        return p;
    }

    /** The GPU's name. */
    String name() {
        try (AutoreleasePool pool = new AutoreleasePool()) {
            return ObjC.text(ObjC.send(device.id(), "name"));
        }
    }

    /** Why Kiln's kernels cannot run on this device, or {@code null} when they can. */
    String unsuitableReason() {
        if (!ObjC.sendBool(device.id(), "supportsFamily:", APPLE7)) {
            return "the Metal device " + name() + " is older than the Apple7 family (M1), which SIMD-group matrices need";
        }
        if (!ObjC.sendBool(device.id(), "hasUnifiedMemory")) {
            return "the Metal device " + name() + " does not share memory with the CPU";
        }
        return null;
    }

    /** Threads a threadgroup may have along x, y and z. */
    long[] maxThreadsPerThreadgroup() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = ObjC.sendSize(device.id(), "maxThreadsPerThreadgroup", a);
            return new long[] {MTLSize.width(s), MTLSize.height(s), MTLSize.depth(s)};
        }
    }

    /** The command queue. */
    MemorySegment queue() {
        return queue.id();
    }

    /**
     * A new buffer of at least {@code bytes} in shared storage.
     *
     * @throws ResourceLimitException when the device cannot allocate it
     */
    MetalBuffer newBuffer(long bytes) {
        long n = Math.max(bytes, 16);
        MemorySegment b = ObjC.send(device.id(), "newBufferWithLength:options:", n, SHARED);
        if (ObjC.isNil(b)) {
            throw new ResourceLimitException("the Metal device cannot allocate a buffer of " + n + " bytes");
        }
        return buffer(new ObjCObject(b, "MTLBuffer"), n);
    }

    /**
     * A buffer over host memory without a copy, or {@code null} when Metal refuses it.
     *
     * @param pages page-aligned memory, a whole number of pages long, that outlives the buffer
     */
    MetalBuffer wrap(MemorySegment pages) {
        MemorySegment b = ObjC.send(device.id(), "newBufferWithBytesNoCopy:length:options:deallocator:", pages,
                pages.byteSize(), SHARED, MemorySegment.NULL);
        return ObjC.isNil(b) ? null : buffer(new ObjCObject(b, "MTLBuffer"), pages.byteSize());
    }

    private static MetalBuffer buffer(ObjCObject b, long bytes) {
        try {
            MemorySegment contents = ObjC.send(b.id(), "contents").reinterpret(bytes);
            return new MetalBuffer(b, contents);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /**
     * Compiles the kernel library from source, with fast math off (the kernels are compared
     * with the reference kernels).
     *
     * @throws BackendUnavailableException with the compiler's message when it fails
     */
    void compile(String source) {
        try (AutoreleasePool pool = new AutoreleasePool();
             Arena a = Arena.ofConfined();
             ObjCObject text = ObjC.string(source);
             ObjCObject options = new ObjCObject(ObjC.send(ObjC.send(ObjC.cls("MTLCompileOptions"), "alloc"), "init"),
                     "MTLCompileOptions")) {
            ObjC.sendVoid(options.id(), "setFastMathEnabled:", false);
            MemorySegment error = a.allocate(ValueLayout.ADDRESS);
            MemorySegment lib = ObjC.send(device.id(), "newLibraryWithSource:options:error:", text.id(), options.id(), error);
            if (ObjC.isNil(lib)) {
                throw new BackendUnavailableException("Kiln's Metal kernels did not compile: " + describe(error));
            }
            library = new ObjCObject(lib, "MTLLibrary");
        }
    }

    /** The description of the NSError an {@code error:} out-parameter received (inside a pool). */
    private static String describe(MemorySegment errorOut) {
        MemorySegment e = errorOut.get(ValueLayout.ADDRESS, 0);
        return ObjC.isNil(e) ? "no error was given" : ObjC.text(ObjC.send(e, "localizedDescription"));
    }

    /** The compute pipeline of kernel {@code name}, made on first use. */
    synchronized MemorySegment pipeline(String name) {
        ObjCObject p = pipelines.get(name);
        if (p == null) {
            if (library == null) {
                throw new IllegalStateException("the Metal kernel library was not compiled");
            }
            try (AutoreleasePool pool = new AutoreleasePool();
                 Arena a = Arena.ofConfined();
                 ObjCObject fname = ObjC.string(name)) {
                MemorySegment f = ObjC.send(library.id(), "newFunctionWithName:", fname.id());
                if (ObjC.isNil(f)) {
                    throw new IllegalStateException("the Metal kernel library has no function " + name);
                }
                try (ObjCObject function = new ObjCObject(f, "MTLFunction")) {
                    MemorySegment error = a.allocate(ValueLayout.ADDRESS);
                    MemorySegment pso = ObjC.send(device.id(), "newComputePipelineStateWithFunction:error:", function.id(),
                            error);
                    if (ObjC.isNil(pso)) {
                        throw new BackendUnavailableException("no Metal pipeline for " + name + ": " + describe(error));
                    }
                    p = new ObjCObject(pso, "MTLComputePipelineState");
                }
            }
            pipelines.put(name, p);
        }
        return p.id();
    }

    /** Releases the pipelines, the library, the queue and the device. Idempotent. */
    @Override
    public synchronized void close() {
        List<ObjCObject> all = new ArrayList<>(pipelines.values());
        pipelines.clear();
        if (library != null) {
            all.add(library);
            library = null;
        }
        all.add(queue);
        all.add(device);
        for (ObjCObject o : all) {
            o.close();
        }
    }
}

package dev.kiln.cuda;

import dev.kiln.BackendUnavailableException;
import dev.kiln.KilnException;
import dev.kiln.ResourceLimitException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The real driver: one GPU's primary context through JCuda, with Kiln's PTX modules loaded.
 * Every call makes the context current on the calling thread first, since runs of a session
 * come from any thread.
 */
final class JCudaDevice implements CudaDriver {
    private final CUdevice device;
    private final CUcontext context;
    private final String description;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUmodule> moduleOf = new HashMap<>();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final TreeMap<Long, DevicePtr> allocations = new TreeMap<>();
    private final Map<Long, CUstream> streams = new ConcurrentHashMap<>();
    private final AtomicLong nextStream = new AtomicLong(1);

    /** A device pointer whose address Java can read. */
    private static final class DevicePtr extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    private JCudaDevice(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        JCudaDriver.cuInit(0);
        device = new CUdevice();
        JCudaDriver.cuDeviceGet(device, ordinal);
        context = new CUcontext();
        JCudaDriver.cuDevicePrimaryCtxRetain(context, device);
        JCudaDriver.cuCtxSetCurrent(context);
        byte[] name = new byte[256];
        JCudaDriver.cuDeviceGetName(name, name.length, device);
        int[] version = new int[1];
        JCudaDriver.cuDriverGetVersion(version);
        description = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "")
                + " (driver CUDA " + CudaProbe.cudaVersion(version[0]) + ")";
        for (Map.Entry<String, String> e : Ptx.load().entrySet()) {
            CUmodule m = new CUmodule();
            JCudaDriver.cuModuleLoadData(m, e.getValue());
            modules.put(e.getKey(), m);
            for (String entry : Ptx.entries(e.getValue())) {
                moduleOf.put(entry, m);
            }
        }
    }

    /** Opens GPU {@code ordinal}; the caller checked {@link CudaProbe#unavailableReason()}. */
    static JCudaDevice open(int ordinal) {
        try {
            return new JCudaDevice(ordinal);
        } catch (CudaException e) {
            throw new BackendUnavailableException("cannot open CUDA device " + ordinal + ": " + e.getMessage(), e);
        }
    }

    private void current() {
        JCudaDriver.cuCtxSetCurrent(context);
    }

    private static KilnException error(String what, CudaException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("OUT_OF_MEMORY")) {
            return new ResourceLimitException("the GPU is out of memory while " + what, e);
        }
        return new BackendUnavailableException("CUDA failed while " + what + ": " + m, e);
    }

    private synchronized CUdeviceptr ptr(long address) {
        Map.Entry<Long, DevicePtr> e = allocations.floorEntry(address);
        if (e == null) {
            throw new IllegalArgumentException("not a device address: " + Long.toHexString(address));
        }
        return e.getValue().withByteOffset(address - e.getKey());
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public long malloc(long bytes) {
        try {
            current();
            DevicePtr p = new DevicePtr();
            JCudaDriver.cuMemAlloc(p, bytes);
            synchronized (this) {
                allocations.put(p.address(), p);
            }
            return p.address();
        } catch (CudaException e) {
            throw error("allocating " + bytes + " bytes", e);
        }
    }

    @Override
    public void free(long address) {
        DevicePtr p;
        synchronized (this) {
            p = allocations.remove(address);
        }
        if (p != null) {
            current();
            JCudaDriver.cuMemFree(p);
        }
    }

    @Override
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        try {
            current();
            JCudaDriver.cuMemcpyHtoD(ptr(dst), Pointer.to(hostBuffer(src, bytes)), bytes);
        } catch (CudaException e) {
            throw error("uploading a constant", e);
        }
    }

    private static ByteBuffer hostBuffer(MemorySegment src, long bytes) {
        if (src.isNative()) {
            return src.asSlice(0, bytes).asByteBuffer();
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(Math.toIntExact(bytes));
        MemorySegment.ofBuffer(direct).copyFrom(src.asSlice(0, bytes));
        return direct;
    }

    @Override
    public Pinned allocatePinned(long bytes) {
        try {
            current();
            Pointer p = new Pointer();
            JCudaDriver.cuMemAllocHost(p, bytes);
            return new Pinned(MemorySegment.ofBuffer(p.getByteBuffer(0, bytes)), p);
        } catch (CudaException e) {
            throw error("allocating " + bytes + " bytes of pinned memory", e);
        }
    }

    @Override
    public void freePinned(Pinned p) {
        current();
        JCudaDriver.cuMemFreeHost((Pointer) p.handle());
    }

    @Override
    public long createStream() {
        current();
        CUstream s = new CUstream();
        JCudaDriver.cuStreamCreate(s, jcuda.driver.CUstream_flags.CU_STREAM_NON_BLOCKING);
        long id = nextStream.getAndIncrement();
        streams.put(id, s);
        return id;
    }

    @Override
    public void destroyStream(long stream) {
        CUstream s = streams.remove(stream);
        if (s != null) {
            current();
            JCudaDriver.cuStreamDestroy(s);
        }
    }

    @Override
    public void uploadAsync(Pinned src, long srcOffset, long dst, long bytes, long stream) {
        try {
            current();
            JCudaDriver.cuMemcpyHtoDAsync(ptr(dst), ((Pointer) src.handle()).withByteOffset(srcOffset), bytes, streams.get(stream));
        } catch (CudaException e) {
            throw error("copying to the GPU", e);
        }
    }

    @Override
    public void downloadAsync(long src, Pinned dst, long dstOffset, long bytes, long stream) {
        try {
            current();
            JCudaDriver.cuMemcpyDtoHAsync(((Pointer) dst.handle()).withByteOffset(dstOffset), ptr(src), bytes, streams.get(stream));
        } catch (CudaException e) {
            throw error("copying from the GPU", e);
        }
    }

    @Override
    public void launch(String function, Grid grid, LaunchArgs args, long stream) {
        try {
            current();
            CUfunction f = functions.computeIfAbsent(function, this::function);
            NativePointerObject[] params = new NativePointerObject[args.size()];
            for (int i = 0; i < params.length; i++) {
                Object v = args.value(i);
                params[i] = switch (args.kind(i)) {
                    case PTR, I64 -> Pointer.to(new long[] {(Long) v});
                    case I32 -> Pointer.to(new int[] {(Integer) v});
                    case F32 -> Pointer.to(new float[] {(Float) v});
                    case BYTES -> Pointer.to((byte[]) v);
                };
            }
            JCudaDriver.cuLaunchKernel(f, grid.gx(), grid.gy(), grid.gz(), grid.threads(), 1, 1, 0, streams.get(stream),
                    Pointer.to(params), null);
        } catch (CudaException e) {
            throw error("launching " + function, e);
        }
    }

    private CUfunction function(String name) {
        CUmodule m = moduleOf.get(name);
        if (m == null) {
            throw new IllegalStateException("no PTX module defines kernel " + name);
        }
        CUfunction f = new CUfunction();
        JCudaDriver.cuModuleGetFunction(f, m, name);
        return f;
    }

    @Override
    public void synchronize(long stream) {
        try {
            current();
            JCudaDriver.cuStreamSynchronize(streams.get(stream));
        } catch (CudaException e) {
            throw error("running kernels", e);
        }
    }

    @Override
    public synchronized void close() {
        current();
        for (DevicePtr p : allocations.values()) {
            JCudaDriver.cuMemFree(p);
        }
        allocations.clear();
        for (CUmodule m : modules.values()) {
            JCudaDriver.cuModuleUnload(m);
        }
        modules.clear();
        JCudaDriver.cuDevicePrimaryCtxRelease(device);
    }
}

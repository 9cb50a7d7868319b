package dev.kiln.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Finds out, once per process, whether this machine can run the CUDA backend, and if not, why:
 * no driver library, no device, a driver older than the PTX needs, a GPU older than the PTX
 * target, or no JCuda natives for the platform. The driver is probed through FFM before JCuda
 * is touched, so a machine without a GPU never loads JCuda's native library.
 */
final class CudaProbe {
    /** The PTX targets compute capability 7.5 (Turing); older GPUs cannot JIT it. */
    static final int MIN_COMPUTE = 75;
    private static final int CUDA_SUCCESS = 0;
    private static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    private static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

    private static volatile String reason;
    private static volatile boolean probed;

    private CudaProbe() {
    }

    /** Why the CUDA backend cannot run here, or {@code null} when it can. */
    static String unavailableReason() {
        if (!probed) {
            synchronized (CudaProbe.class) {
                if (!probed) {
                    reason = probe();
                    probed = true;
                }
            }
        }
        return reason;
    }

    /** The driver library's name on this OS, or {@code null} where CUDA does not exist. */
    static String driverLibrary(String osName) {
        String os = osName.toLowerCase(java.util.Locale.ROOT);
        if (os.contains("win")) {
            return "nvcuda.dll";
        }
        if (os.contains("mac") || os.contains("darwin")) {
            return null;
        }
        return "libcuda.so.1";
    }

    private static String probe() {
        String lib = driverLibrary(System.getProperty("os.name"));
        if (lib == null) {
            return "CUDA does not exist on " + System.getProperty("os.name");
        }
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup cuda;
            try {
                cuda = SymbolLookup.libraryLookup(lib, arena);
            } catch (IllegalArgumentException e) {
                return "no CUDA driver: " + lib + " was not found (install the NVIDIA driver)";
            }
            Linker linker = Linker.nativeLinker();
            MethodHandle init = handle(cuda, linker, "cuInit", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle version = handle(cuda, linker, "cuDriverGetVersion",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MethodHandle count = handle(cuda, linker, "cuDeviceGetCount",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MethodHandle attribute = handle(cuda, linker, "cuDeviceGetAttribute",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            int rc = (int) init.invokeExact(0);
            if (rc != CUDA_SUCCESS) {
                return initFailure(rc);
            }
            rc = (int) version.invokeExact(out);
            int driver = out.get(ValueLayout.JAVA_INT, 0);
            int needed = Ptx.requiredDriverVersion(Ptx.text("gemm"));
            if (rc != CUDA_SUCCESS || driver < needed) {
                return "CUDA driver too old: it supports CUDA " + cudaVersion(driver) + ", Kiln's kernels need CUDA "
                        + cudaVersion(needed) + " or newer (update the NVIDIA driver)";
            }
            rc = (int) count.invokeExact(out);
            if (rc != CUDA_SUCCESS || out.get(ValueLayout.JAVA_INT, 0) < 1) {
                return "no CUDA device";
            }
            MemorySegment major = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment minor = arena.allocate(ValueLayout.JAVA_INT);
            int r1 = (int) attribute.invokeExact(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0);
            int r2 = (int) attribute.invokeExact(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0);
            int cc = major.get(ValueLayout.JAVA_INT, 0) * 10 + minor.get(ValueLayout.JAVA_INT, 0);
            if (r1 == CUDA_SUCCESS && r2 == CUDA_SUCCESS && cc < MIN_COMPUTE) {
                return "GPU 0 has compute capability " + cc / 10 + "." + cc % 10 + "; Kiln's kernels need "
                        + MIN_COMPUTE / 10 + "." + MIN_COMPUTE % 10 + " or newer";
            }
        } catch (Throwable e) {
            return "cannot query the CUDA driver: " + e;
        }
        try {
            Class.forName("jcuda.driver.JCudaDriver", true, CudaProbe.class.getClassLoader());
            jcuda.driver.JCudaDriver.setExceptionsEnabled(true);
        } catch (Throwable e) {
            return "JCuda's native library cannot be loaded for this platform: " + e.getMessage();
        }
        return null;
    }

    private static MethodHandle handle(SymbolLookup lib, Linker linker, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException(name + " not found")), fd);
    }

    /** The reason for a failed {@code cuInit}, by its CUresult. */
    static String initFailure(int result) {
        return switch (result) {
            case 100 -> "no CUDA device (CUDA_ERROR_NO_DEVICE)";
            case 35 -> "CUDA driver too old for the CUDA runtime (CUDA_ERROR_INSUFFICIENT_DRIVER)";
            case 34 -> "the CUDA driver library found is the toolkit's stub, not a real driver (CUDA_ERROR_STUB_LIBRARY)";
            case 999 -> "the CUDA driver failed to initialize (CUDA_ERROR_UNKNOWN); is the GPU visible to this process?";
            default -> "cuInit failed with CUresult " + result;
        };
    }

    static String cudaVersion(int driverVersion) {
        return driverVersion / 1000 + "." + driverVersion % 1000 / 10;
    }
}

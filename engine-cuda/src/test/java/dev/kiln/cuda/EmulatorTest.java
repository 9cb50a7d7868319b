package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The emulator itself: every kernel source is in it, barriers and shuffles work, and rule breaks are reported. */
class EmulatorTest {
    private CudaEmulator emu;

    @BeforeEach
    void emulator() {
        assumeTrue(CudaEmulator.unavailableReason() == null, () -> "CUDA kernel emulator unavailable: "
                + CudaEmulator.unavailableReason());
        emu = CudaEmulator.get();
    }

    @Test
    void everyKernelOfEverySourceIsEmulated() throws Exception {
        List<String> declared = new ArrayList<>();
        try (Stream<Path> s = Files.list(CudaEmulator.sources())) {
            for (Path p : s.filter(f -> f.toString().endsWith(".cu")).sorted().toList()) {
                declared.addAll(CudaEmulator.kernelsOf(Files.readString(p)));
            }
        }
        assertTrue(declared.size() >= 20, "kernels found: " + declared);
        for (String k : declared) {
            assertTrue(emu.has(k), k + " is not in the emulator");
        }
    }

    @Test
    void shufflesAndBarriersComputeABlockSum() {
        try (Arena a = Arena.ofConfined()) {
            int n = 1000;
            MemorySegment x = a.allocate(4L * n, 64);
            MemorySegment y = a.allocate(4, 64);
            double want = 0;
            for (int i = 0; i < n; i++) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, i % 7);
                want += i % 7;
            }
            emu.launch("selftest_block_sum", new Grid(1, 1, 1, 96), new LaunchArgs().ptr(x.address()).ptr(y.address()).i32(n));
            assertEquals(want, y.get(ValueLayout.JAVA_FLOAT, 0), 1e-3);
        }
    }

    @Test
    void aBarrierSomeThreadsNeverReachIsReported() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment y = a.allocate(4 * 64, 64);
            emu.launch("selftest_early_exit", new Grid(1, 1, 1, 64), new LaunchArgs().ptr(y.address()).i32(64));
            CudaEmulator.EmulatorException e = assertThrows(CudaEmulator.EmulatorException.class,
                    () -> emu.launch("selftest_early_exit", new Grid(1, 1, 1, 64), new LaunchArgs().ptr(y.address()).i32(40)));
            assertTrue(e.getMessage().contains("__syncthreads()"), e.getMessage());
        }
    }

    @Test
    void threadsWaitingAtDifferentBarriersAreADeadlock() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment y = a.allocate(4 * 64, 64);
            CudaEmulator.EmulatorException e = assertThrows(CudaEmulator.EmulatorException.class,
                    () -> emu.launch("selftest_deadlock", new Grid(1, 1, 1, 64), new LaunchArgs().ptr(y.address())));
            assertTrue(e.getMessage().contains("deadlock"), e.getMessage());
        }
    }
}

package dev.kiln.metal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shader emulator itself: every kernel is in it, and rule breaks fail the dispatch with a message. */
class EmulatorTest {
    private FakeMetal fake;

    @BeforeEach
    void fake() {
        assumeTrue(FakeMetal.unavailableReason() == null, () -> "fake Metal unavailable: " + FakeMetal.unavailableReason());
        fake = FakeMetal.get();
    }

    @Test
    void everyKernelSourceIsPackagedAndEveryKernelIsInTheLibrarySource() throws Exception {
        try (var files = Files.list(FakeMetal.sources())) {
            assertEquals(files.filter(f -> f.toString().endsWith(".metal")).map(f -> f.getFileName().toString()).sorted()
                    .toList(), ShaderSource.FILES);
        }
        String combined = ShaderSource.combined();
        int kernels = 0;
        for (String f : ShaderSource.FILES) {
            for (String k : FakeMetal.kernelsOf(ShaderSource.text(f))) {
                assertTrue(combined.contains("kernel void " + k + "("), k);
                kernels++;
            }
        }
        assertTrue(kernels >= 11, "kernels: " + kernels);
        assertTrue(!combined.contains("#include \"kiln_metal.h\""));
    }

    @Test
    void aBarrierSomeThreadsNeverReachIsReported() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment y = a.allocate(4 * 64, 64);
            assertNull(fake.dispatch("selftest_early_return", new int[] {1, 1, 1}, new int[] {64, 1, 1},
                    new MemorySegment[] {y, a.allocateFrom(ValueLayout.JAVA_INT, 64)}, new long[] {256}));
            assertEquals(1f, y.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            String e = fake.dispatch("selftest_early_return", new int[] {1, 1, 1}, new int[] {64, 1, 1},
                    new MemorySegment[] {y, a.allocateFrom(ValueLayout.JAVA_INT, 40)}, new long[] {256});
            assertTrue(e != null && e.contains("threadgroup_barrier"), e);
        }
    }

    @Test
    void simdgroupMatrixCallsMustAgreeAcrossTheSimdGroup() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(4 * 128, 64);
            MemorySegment y = a.allocate(4 * 64, 64);
            String e = fake.dispatch("selftest_divergent_load", new int[] {1, 1, 1}, new int[] {32, 1, 1},
                    new MemorySegment[] {x, y}, new long[0]);
            assertTrue(e != null && e.contains("different arguments across the SIMD group"), e);
        }
    }

    @Test
    void aMatrixLoadPastTheEndOfItsBufferIsReported() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(4 * 70, 64);
            for (int i = 0; i < 70; i++) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            }
            MemorySegment y = a.allocate(4 * 64, 64);
            assertNull(fake.dispatch("selftest_load_at", new int[] {1, 1, 1}, new int[] {32, 1, 1},
                    new MemorySegment[] {x, y, a.allocateFrom(ValueLayout.JAVA_INT, 6)}, new long[0]));
            assertEquals(69f, y.getAtIndex(ValueLayout.JAVA_FLOAT, 63));
            String e = fake.dispatch("selftest_load_at", new int[] {1, 1, 1}, new int[] {32, 1, 1},
                    new MemorySegment[] {x, y, a.allocateFrom(ValueLayout.JAVA_INT, 7)}, new long[0]);
            assertTrue(e != null && e.contains("past the end"), e);
        }
    }
}

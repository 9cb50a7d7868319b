package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed PTX matches its sources, targets an old architecture, and defines every kernel. */
class CudaPtxTest {
    @Test
    void committedPtxIsBuiltFromTheCurrentSources() throws Exception {
        Path src = CudaEmulator.sources();
        List<Path> files = new ArrayList<>();
        files.add(src.resolve("kiln_cuda.cuh"));
        try (Stream<Path> s = Files.list(src)) {
            s.filter(p -> p.toString().endsWith(".cu")).sorted().forEach(files::add);
        }
        StringBuilder want = new StringBuilder();
        for (Path f : files) {
            String h = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
            want.append(h).append("  ").append(f.getFileName()).append('\n');
        }
        String recorded = Files.readString(src.resolve("ptx/SOURCES.sha256"));
        assertEquals(want.toString(), recorded, "native/cuda/ptx is stale: rebuild it with nvcc "
                + "(native/cuda/build-ptx.sh, run by the engine-cuda build when nvcc is on PATH) and commit it");
    }

    @Test
    void everyModuleTargetsTuringAndDefinesItsSourcesKernels() throws Exception {
        for (String m : Ptx.MODULES) {
            String ptx = Ptx.text(m);
            assertTrue(ptx.contains(".target sm_75"), m + " must target sm_75 so any GPU since Turing can JIT it");
            List<String> kernels = CudaEmulator.kernelsOf(Files.readString(CudaEmulator.sources().resolve(m + ".cu")));
            assertEquals(kernels, Ptx.entries(ptx), m);
            assertEquals(13000, Ptx.requiredDriverVersion(ptx), "the PTX was written by nvcc 13.0");
        }
        try (Stream<Path> s = Files.list(CudaEmulator.sources())) {
            assertEquals(Ptx.MODULES.size(), s.filter(p -> p.toString().endsWith(".cu")).count(),
                    "every kernel source is a packaged module");
        }
    }
}

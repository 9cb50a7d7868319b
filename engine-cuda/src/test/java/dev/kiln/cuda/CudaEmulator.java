package dev.kiln.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every CUDA kernel source compiled a second time, as host C++ against our shim header
 * ({@code native/cuda/emu}), into one shared library loaded through FFM: each launch runs the
 * grid's blocks one after another, each block's threads as fibers. Built with g++ during the
 * test phase (cached under target/ by a hash of the sources); {@link #unavailableReason()} says
 * why not when g++ is missing.
 */
final class CudaEmulator {
    private static final Pattern KERNEL = Pattern.compile(
            "extern \"C\" __global__ void (?:__launch_bounds__\\([^)]*\\)\\s*)?(\\w+)\\s*\\(");
    private static CudaEmulator instance;
    private static String failure;

    private final MethodHandle launch;
    private final MethodHandle hasKernel;
    private final List<String> kernels;

    private CudaEmulator(Path lib, List<String> kernels) {
        this.kernels = List.copyOf(kernels);
        SymbolLookup l = SymbolLookup.libraryLookup(lib, Arena.global());
        Linker linker = Linker.nativeLinker();
        launch = linker.downcallHandle(l.find("kiln_emu_launch").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        hasKernel = linker.downcallHandle(l.find("kiln_emu_has_kernel").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    /** The kernel sources: the repository's {@code native/cuda} (the build passes its path). */
    static Path sources() {
        return Path.of(System.getProperty("kiln.cuda.src", "../native/cuda"));
    }

    /** The emulator, built on first use; {@code null} when it cannot be (see {@link #unavailableReason()}). */
    static synchronized CudaEmulator get() {
        if (instance == null && failure == null) {
            try {
                instance = build();
            } catch (IOException | RuntimeException e) {
                failure = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted while compiling the emulator";
            }
        }
        return instance;
    }

    /** Why the emulator is not available, or {@code null}. */
    static synchronized String unavailableReason() {
        get();
        return failure;
    }

    /** The {@code extern "C" __global__} kernels a source defines. */
    static List<String> kernelsOf(String source) {
        List<String> r = new ArrayList<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) {
            r.add(m.group(1));
        }
        return r;
    }

    private static CudaEmulator build() throws IOException, InterruptedException {
        if (!onPath("g++")) {
            throw new IllegalStateException("g++ is not on PATH, so the CUDA kernels cannot be compiled for the emulator");
        }
        Path src = sources().toAbsolutePath().normalize();
        Path emu = src.resolve("emu");
        List<Path> inputs = new ArrayList<>();
        try (Stream<Path> s = Files.list(src)) {
            s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).sorted().forEach(inputs::add);
        }
        Path tests = Path.of("src/test/cuda").toAbsolutePath();
        if (Files.isDirectory(tests)) {
            try (Stream<Path> s = Files.list(tests)) {
                s.filter(p -> p.toString().endsWith(".cu")).sorted().forEach(inputs::add);
            }
        }
        inputs.add(emu.resolve("kiln_cuda_shim.h"));
        inputs.add(emu.resolve("kiln_cuda_emu.cpp"));
        String hash = hash(inputs);
        Path dir = Path.of(System.getProperty("kiln.cuda.emu.dir", "target/cuda-emu")).toAbsolutePath();
        Files.createDirectories(dir);
        Path lib = dir.resolve("libkiln-cuda-emu-" + hash.substring(0, 16) + ".so");
        List<String> kernels = new ArrayList<>();
        List<Path> units = new ArrayList<>();
        for (Path p : inputs) {
            if (!p.toString().endsWith(".cu")) {
                continue;
            }
            List<String> ks = kernelsOf(Files.readString(p));
            kernels.addAll(ks);
            StringBuilder unit = new StringBuilder("#include \"kiln_cuda_shim.h\"\n#include \"" + p + "\"\n");
            for (String k : ks) {
                unit.append("KILN_EMU_REGISTER(").append(k).append(")\n");
            }
            Path u = dir.resolve(p.getFileName() + ".emu.cpp");
            Files.writeString(u, unit.toString());
            units.add(u);
        }
        if (!Files.exists(lib)) {
            List<Process> running = new ArrayList<>();
            List<Path> objects = new ArrayList<>();
            units.add(emu.resolve("kiln_cuda_emu.cpp"));
            for (Path u : units) {
                Path o = dir.resolve(u.getFileName() + ".o");
                objects.add(o);
                running.add(gxx(dir, "-c", "-I" + emu, "-I" + src, u.toString(), "-o", o.toString()));
            }
            for (Process p : running) {
                check(p);
            }
            List<String> link = new ArrayList<>(List.of("-shared", "-o", lib.toString()));
            objects.forEach(o -> link.add(o.toString()));
            check(gxx(dir, link.toArray(new String[0])));
        }
        return new CudaEmulator(lib, kernels);
    }

    private static Process gxx(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("g++", "-std=c++17", "-O2", "-fPIC", "-Wall", "-Werror"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    private static void check(Process p) throws IOException, InterruptedException {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("g++ failed compiling the emulated kernels:\n" + out);
        }
    }

    private static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    private static String hash(List<Path> files) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path f : files) {
                md.update(f.toString().getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(f));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every kernel the emulator was built with. */
    List<String> kernels() {
        return kernels;
    }

    boolean has(String kernel) {
        try (Arena a = Arena.ofConfined()) {
            return (int) hasKernel.invokeExact(a.allocateFrom(kernel)) != 0;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a grid now; throws with the emulator's message (barrier divergence, deadlock) when it fails. */
    void launch(String kernel, Grid grid, LaunchArgs args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(ValueLayout.ADDRESS, Math.max(1, args.size()));
            for (int i = 0; i < args.size(); i++) {
                Object v = args.value(i);
                MemorySegment cell = switch (args.kind(i)) {
                    case PTR, I64 -> a.allocateFrom(ValueLayout.JAVA_LONG, (Long) v);
                    case I32 -> a.allocateFrom(ValueLayout.JAVA_INT, (Integer) v);
                    case F32 -> a.allocateFrom(ValueLayout.JAVA_FLOAT, (Float) v);
                    case BYTES -> a.allocate(((byte[]) v).length, 8).copyFrom(MemorySegment.ofArray((byte[]) v));
                };
                params.setAtIndex(ValueLayout.ADDRESS, i, cell);
            }
            MemorySegment err = a.allocate(512);
            int rc = (int) launch.invokeExact(a.allocateFrom(kernel), grid.gx(), grid.gy(), grid.gz(), grid.threads(), 1, 1,
                    params, err, 512);
            if (rc != 0) {
                throw new EmulatorException(err.getString(0));
            }
        } catch (EmulatorException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** A kernel broke a rule of the CUDA execution model in the emulator. */
    static final class EmulatorException extends RuntimeException {
        EmulatorException(String m) {
            super(m);
        }
    }
}

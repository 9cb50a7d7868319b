package dev.kiln.metal;

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
 * The fake Metal the tests run on, built with g++ during the test phase into one shared library
 * (cached under target/ by a hash of its sources) and loaded into the test class loader, where
 * the generated bindings find it as they would find libobjc and Metal on a Mac: the fake
 * Objective-C runtime and Metal framework (src/test/native), the emulator runtime and shim
 * (native/metal/emu), and every kernel of native/metal (and src/test/metal) compiled as C++.
 * For each kernel the build reads its parameters' attributes ([[buffer(i)]],
 * [[threadgroup(i)]], thread-position built-ins) and generates the call the emulator makes.
 */
final class FakeMetal {
    private static final Pattern KERNEL = Pattern.compile("kernel\\s+void\\s+(\\w+)\\s*\\(");
    private static final Pattern ATTRIBUTE = Pattern.compile("\\[\\[\\s*(\\w+)\\s*(?:\\(\\s*(\\d+)\\s*\\))?\\s*\\]\\]");
    private static final Pattern LOCAL_THREADGROUP = Pattern.compile("(?m)^\\s+threadgroup\\s+\\w+\\s+\\w+\\s*\\[");
    private static final List<String> BUILTINS = List.of("thread_position_in_grid", "thread_position_in_threadgroup",
            "threadgroup_position_in_grid", "threads_per_threadgroup", "threadgroups_per_grid",
            "thread_index_in_threadgroup", "simdgroup_index_in_threadgroup", "thread_index_in_simdgroup",
            "threads_per_simdgroup", "simdgroups_per_threadgroup");
    private static FakeMetal instance;
    private static String failure;

    private final MethodHandle takeErrors;
    private final MethodHandle liveObjects;
    private final MethodHandle counter;
    private final MethodHandle openPools;
    private final MethodHandle fail;
    private final MethodHandle dispatch;

    private FakeMetal(Path lib) {
        System.load(lib.toString());
        SymbolLookup l = SymbolLookup.loaderLookup();
        Linker linker = Linker.nativeLinker();
        takeErrors = linker.downcallHandle(l.find("kiln_fake_take_errors").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        liveObjects = linker.downcallHandle(l.find("kiln_fake_live_objects").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG));
        counter = linker.downcallHandle(l.find("kiln_fake_counter").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        openPools = linker.downcallHandle(l.find("kiln_fake_open_pools").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        fail = linker.downcallHandle(l.find("kiln_fake_fail").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        dispatch = linker.downcallHandle(l.find("kiln_metal_emu_dispatch").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_INT));
    }

    /** The kernel sources: the repository's {@code native/metal} (the build passes its path). */
    static Path sources() {
        return Path.of(System.getProperty("kiln.metal.src", "../native/metal"));
    }

    /** The fake, built and loaded on first use; {@code null} when it cannot be (see {@link #unavailableReason()}). */
    static synchronized FakeMetal get() {
        if (instance == null && failure == null) {
            try {
                instance = new FakeMetal(build());
            } catch (IOException | RuntimeException e) {
                failure = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = "interrupted while compiling the fake Metal";
            }
        }
        return instance;
    }

    /** Why the fake is not available (no g++, not x86-64), or {@code null}. */
    static synchronized String unavailableReason() {
        get();
        return failure;
    }

    /** The kernels a source defines. */
    static List<String> kernelsOf(String source) {
        List<String> r = new ArrayList<>();
        Matcher m = KERNEL.matcher(source);
        while (m.find()) {
            r.add(m.group(1));
        }
        return r;
    }

    /**
     * The C++ that includes a kernel source and registers each kernel with a trampoline calling
     * it with what its parameters' attributes ask for.
     */
    static String unit(Path source, String text) {
        if (LOCAL_THREADGROUP.matcher(text).find()) {
            throw new IllegalStateException(source + " declares threadgroup memory inside a kernel; declare it as a"
                    + " [[threadgroup(n)]] parameter so the emulator can give each threadgroup its own");
        }
        StringBuilder u = new StringBuilder("#include <metal_stdlib>\n#include \"" + source + "\"\n");
        Matcher m = KERNEL.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            int end = closing(text, m.end());
            List<String> args = new ArrayList<>();
            for (String p : splitTopLevel(text.substring(m.end(), end))) {
                Matcher a = ATTRIBUTE.matcher(p);
                if (!a.find()) {
                    throw new IllegalStateException(name + ": parameter without an attribute: " + p.strip());
                }
                String kind = a.group(1);
                String before = p.substring(0, a.start());
                switch (kind) {
                    case "buffer" -> args.add((before.contains("*") ? "kiln_metal_emu::PointerArg{b[" : "kiln_metal_emu::ReferenceArg{b[")
                            + a.group(2) + "]}");
                    case "threadgroup" -> args.add("kiln_metal_emu::PointerArg{t[" + a.group(2) + "]}");
                    default -> {
                        if (!BUILTINS.contains(kind)) {
                            throw new IllegalStateException(name + ": the emulator has no built-in [[" + kind + "]]");
                        }
                        args.add("kiln_metal_emu::arg(kiln_metal_emu::" + kind.toUpperCase(java.util.Locale.ROOT) + ")");
                    }
                }
            }
            u.append("static void kiln_call_").append(name).append("(void** b, void** t) {\n    (void) b;\n    (void) t;\n    ")
                    .append(name).append("(").append(String.join(", ", args)).append(");\n}\n")
                    .append("static kiln_metal_emu::Registrar kiln_reg_").append(name).append("(\"").append(name)
                    .append("\", &kiln_call_").append(name).append(");\n");
        }
        return u.toString();
    }

    private static int closing(String text, int from) {
        int depth = 1;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return i;
            }
        }
        throw new IllegalStateException("unbalanced parameter list");
    }

    private static List<String> splitTopLevel(String params) {
        List<String> r = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : params.toCharArray()) {
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
            }
            if (c == ',' && depth == 0) {
                r.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            r.add(cur.toString());
        }
        return r;
    }

    private static Path build() throws IOException, InterruptedException {
        if (!System.getProperty("os.arch").equals("amd64") && !System.getProperty("os.arch").equals("x86_64")) {
            throw new IllegalStateException("the fake Objective-C runtime's trampolines exist for x86-64 only");
        }
        if (!onPath("g++")) {
            throw new IllegalStateException("g++ is not on PATH, so the fake Metal cannot be built");
        }
        Path src = sources().toAbsolutePath().normalize();
        Path emu = src.resolve("emu");
        Path fake = Path.of("src/test/native").toAbsolutePath();
        List<Path> kernels = new ArrayList<>();
        for (Path dir : List.of(src, Path.of("src/test/metal").toAbsolutePath())) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    s.filter(p -> p.toString().endsWith(".metal")).sorted().forEach(kernels::add);
                }
            }
        }
        List<Path> runtime = List.of(emu.resolve("kiln_metal_emu.cpp"), fake.resolve("fake_objc_runtime.cpp"),
                fake.resolve("fake_metal.cpp"));
        List<Path> inputs = new ArrayList<>(kernels);
        inputs.addAll(runtime);
        inputs.add(src.resolve("kiln_metal.h"));
        inputs.add(emu.resolve("kiln_metal_shim.h"));
        inputs.add(emu.resolve("metal_stdlib"));
        inputs.add(fake.resolve("fake_objc_runtime.h"));
        String hash = hash(inputs);
        Path dir = Path.of(System.getProperty("kiln.metal.emu.dir", "target/metal-emu")).toAbsolutePath();
        Files.createDirectories(dir);
        Path lib = dir.resolve("libkiln-fake-metal-" + hash.substring(0, 16) + ".so");
        if (Files.exists(lib)) {
            return lib;
        }
        List<Path> units = new ArrayList<>();
        for (Path k : kernels) {
            Path u = dir.resolve(k.getFileName() + ".cpp");
            Files.writeString(u, unit(k, Files.readString(k)));
            units.add(u);
        }
        units.addAll(runtime);
        List<Process> running = new ArrayList<>();
        List<Path> objects = new ArrayList<>();
        for (Path u : units) {
            Path o = dir.resolve(u.getFileName() + ".o");
            objects.add(o);
            running.add(gxx(dir, "-c", "-I" + emu, "-I" + fake, u.toString(), "-o", o.toString()));
        }
        for (Process p : running) {
            check(p);
        }
        List<String> link = new ArrayList<>(List.of("-shared", "-o", lib.toString()));
        objects.forEach(o -> link.add(o.toString()));
        check(gxx(dir, link.toArray(new String[0])));
        return lib;
    }

    private static Process gxx(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("g++", "-std=c++17", "-O1", "-fPIC", "-Wall", "-Werror", "-Wno-attributes",
                "-Wno-register"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    private static void check(Process p) throws IOException, InterruptedException {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("g++ failed building the fake Metal:\n" + out);
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

    // ------------------------------------------------------------------ the fake's test hooks

    /** The rule breaks the fake recorded since the last call, one per line ("" when none). */
    String takeErrors() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(1 << 16);
            int n = (int) takeErrors.invokeExact(buf, 1 << 16);
            return n == 0 ? "" : buf.getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Objective-C objects alive (made and not yet released to zero). */
    long liveObjects() {
        try {
            return (long) liveObjects.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** How often something happened ("sel_registerName", "newBufferWithBytesNoCopy", "dispatch", ...). */
    long count(String what) {
        try (Arena a = Arena.ofConfined()) {
            return (long) counter.invokeExact(a.allocateFrom(what));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Autorelease pools open on this thread. */
    int openPools() {
        try {
            return (int) openPools.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes the next call of one kind fail ("device", "library", "commands", "buffer"). */
    void failNext(String what, String message) {
        try (Arena a = Arena.ofConfined()) {
            fail.invokeExact(a.allocateFrom(what), a.allocateFrom(message));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs a kernel directly in the emulator; returns the emulator's error or {@code null}.
     *
     * @param buffers what each [[buffer(i)]] gets, by index (null: unbound)
     */
    String dispatch(String kernel, int[] grid, int[] threads, MemorySegment[] buffers, long[] threadgroupBytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ptrs = a.allocate(ValueLayout.ADDRESS, 31);
            MemorySegment lens = a.allocate(ValueLayout.JAVA_LONG, 31);
            MemorySegment tg = a.allocate(ValueLayout.JAVA_LONG, 31);
            for (int i = 0; i < buffers.length; i++) {
                if (buffers[i] != null) {
                    ptrs.setAtIndex(ValueLayout.ADDRESS, i, buffers[i]);
                    lens.setAtIndex(ValueLayout.JAVA_LONG, i, buffers[i].byteSize());
                }
            }
            for (int i = 0; i < threadgroupBytes.length; i++) {
                tg.setAtIndex(ValueLayout.JAVA_LONG, i, threadgroupBytes[i]);
            }
            MemorySegment err = a.allocate(1024);
            int rc = (int) dispatch.invokeExact(a.allocateFrom(kernel), a.allocateFrom(ValueLayout.JAVA_INT, grid),
                    a.allocateFrom(ValueLayout.JAVA_INT, threads), ptrs, lens, tg, err, 1024);
            return rc == 0 ? null : err.getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}

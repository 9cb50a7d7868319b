package dev.kiln.metal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.BackendUnavailableException;
import dev.kiln.ResourceLimitException;
import dev.kiln.metal.ffm.MTLSize;
import dev.kiln.metal.ffm.objc_h;
import dev.kiln.metal.objc.AutoreleasePool;
import dev.kiln.metal.objc.ObjC;
import dev.kiln.metal.objc.ObjCObject;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The binding layer without macOS: the generated classes against the header they come from,
 * struct layouts, the objc_msgSend entry per return type, selector caching, and the error paths
 * against the fake Objective-C runtime and Metal.
 */
class BindingsTest {
    private static final Pattern TYPEDEF = Pattern.compile("typedef (\\w+) \\(\\*(msg_\\w+)\\)\\(([^)]*)\\);");

    private static FakeMetal fake() {
        assumeTrue(FakeMetal.unavailableReason() == null, () -> "fake Metal unavailable: " + FakeMetal.unavailableReason());
        return FakeMetal.get();
    }

    @AfterEach
    void nothingBroken() {
        if (FakeMetal.unavailableReason() == null) {
            assertEquals("", FakeMetal.get().takeErrors(), "the fake Objective-C runtime saw rules broken");
            assertEquals(0, FakeMetal.get().openPools());
        }
    }

    private static MemoryLayout layoutOf(String cType) {
        return switch (cType.strip().replaceAll("\\s+\\w+$", "")) {
            case "id", "SEL", "void*" -> objc_h.C_POINTER;
            case "NSUInteger" -> objc_h.C_LONG;
            case "BOOL" -> objc_h.C_CHAR;
            case "MTLSize" -> MTLSize.layout();
            default -> throw new AssertionError("no mapping for C type " + cType);
        };
    }

    @Test
    void everySignatureOfTheHeaderHasItsGeneratedHandleWithTheSameDescriptor() throws Exception {
        String header = Files.readString(FakeMetal.sources().resolve("bindings/kiln_metal_ffm.h"));
        Matcher m = TYPEDEF.matcher(header);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(2));
            List<MemoryLayout> args = new ArrayList<>();
            for (String p : m.group(3).split(",")) {
                args.add(layoutOf(p));
            }
            FunctionDescriptor want = m.group(1).equals("void") ? FunctionDescriptor.ofVoid(args.toArray(new MemoryLayout[0]))
                    : FunctionDescriptor.of(layoutOf(m.group(1)), args.toArray(new MemoryLayout[0]));
            Class<?> c = Class.forName("dev.kiln.metal.ffm." + m.group(2));
            FunctionDescriptor got = (FunctionDescriptor) c.getMethod("descriptor").invoke(null);
            assertEquals(want, got, m.group(2));
        }
        assertEquals(16, names.size(), "signatures in the header: " + names);
        try (var files = Files.list(Path.of("src/main/java/dev/kiln/metal/ffm"))) {
            long generated = files.filter(f -> f.getFileName().toString().startsWith("msg_")).count();
            assertEquals(names.size(), generated, "a generated class without its typedef, or the reverse");
        }
    }

    @Test
    void mtlSizeIsThreeUnsignedLongsAsCLaysItOut() {
        assertEquals(24, MTLSize.layout().byteSize());
        assertEquals(8, MTLSize.layout().byteAlignment());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = ObjC.size(a, 3, 5, 7);
            assertArrayEquals(new long[] {3, 5, 7}, s.toArray(ValueLayout.JAVA_LONG));
            assertEquals(5, MTLSize.height(s));
        }
    }

    @Test
    void largeStructReturnsUseTheStretEntryOnX8664Only() {
        assertTrue(ObjC.needsStret(MTLSize.layout(), ObjC.usesStret("amd64")));
        assertTrue(ObjC.usesStret("x86_64"));
        assertFalse(ObjC.usesStret("aarch64"));
        assertFalse(ObjC.needsStret(MTLSize.layout(), ObjC.usesStret("aarch64")));
        assertFalse(ObjC.needsStret(MemoryLayout.structLayout(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), true));
        assertFalse(ObjC.needsStret(ValueLayout.JAVA_LONG, true));
    }

    @Test
    void selectorsAreRegisteredOncePerName() {
        FakeMetal f = fake();
        MemorySegment first = ObjC.sel("kilnTestSelector:");
        long calls = f.count("sel_registerName");
        for (int i = 0; i < 10; i++) {
            assertEquals(first, ObjC.sel("kilnTestSelector:"));
        }
        assertEquals(calls, f.count("sel_registerName"));
        assertTrue(!first.equals(ObjC.sel("kilnOtherSelector")));
        assertEquals(calls + 1, f.count("sel_registerName"));
    }

    @Test
    void structReturnsAndStructArgumentsCrossTheTrampolineIntact() {
        FakeMetal f = fake();
        long live = f.liveObjects();
        try (MetalDevice d = MetalDevice.systemDefault()) {
            assertArrayEquals(new long[] {1024, 1024, 1024}, d.maxThreadsPerThreadgroup());
            assertEquals("Kiln fake Metal device", d.name());
            assertNull(d.unsuitableReason());
        }
        assertEquals(live, f.liveObjects());
    }

    @Test
    void stringsRoundTripAndAreReleased() {
        FakeMetal f = fake();
        long live = f.liveObjects();
        try (ObjCObject s = ObjC.string("héllo, Metal")) {
            assertEquals("héllo, Metal", ObjC.text(s.id()));
            assertEquals(live + 1, f.liveObjects());
        }
        assertEquals(live, f.liveObjects());
    }

    @Test
    void anAutoreleasedObjectWithoutAPoolIsReported() {
        FakeMetal f = fake();
        try (MetalDevice d = MetalDevice.systemDefault()) {
            ObjC.send(d.queue(), "commandBuffer");
            assertTrue(f.takeErrors().contains("no pool in place"));
            try (AutoreleasePool pool = new AutoreleasePool()) {
                ObjC.send(d.queue(), "commandBuffer");
                assertEquals(1, f.openPools());
            }
        }
    }

    @Test
    void anUnknownClassOrSelectorIsAnError() {
        FakeMetal f = fake();
        assertThrows(IllegalStateException.class, () -> ObjC.cls("NoSuchKilnClass"));
        try (MetalDevice d = MetalDevice.systemDefault()) {
            MemorySegment dev = MemorySegment.ofAddress(d.queue().address());
            ObjC.sendVoid(dev, "noSuchKilnSelector");
            assertTrue(f.takeErrors().contains("unrecognized selector"));
        }
    }

    @Test
    void noDeviceIsBackendUnavailable() {
        FakeMetal f = fake();
        f.failNext("device", "none");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, MetalDevice::systemDefault);
        assertTrue(e.getMessage().contains("no Metal device"), e.getMessage());
    }

    @Test
    void aCompileErrorCarriesTheCompilersMessageAndLeaksNothing() {
        FakeMetal f = fake();
        long live = f.liveObjects();
        f.failNext("library", "program_source:3:7: error: unknown type name 'flaot'");
        MetalBackend b = new MetalBackend(MetalDevice::systemDefault, false);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, b::runtime);
        assertTrue(e.getMessage().endsWith("unknown type name 'flaot'"), e.getMessage());
        b.close();
        assertEquals(live, f.liveObjects());
    }

    @Test
    void aBufferMetalCannotAllocateIsAResourceLimit() {
        FakeMetal f = fake();
        try (MetalDevice d = MetalDevice.systemDefault()) {
            f.failNext("buffer", "out of memory");
            assertThrows(ResourceLimitException.class, () -> d.newBuffer(1 << 20));
        }
    }

    @Test
    void aFailedCommandBufferFailsTheSyncWithMetalsDescription() {
        FakeMetal f = fake();
        long live = f.liveObjects();
        MetalBackend b = new MetalBackend(MetalDevice::systemDefault, false);
        MetalRuntime rt = (MetalRuntime) b.runtime();
        try (MetalQueue q = (MetalQueue) rt.openQueue(256, 256)) {
            MemorySegment x = q.staging();
            x.setAtIndex(ValueLayout.JAVA_INT, 0, 42);
            f.failNext("commands", "Caused GPU Timeout Error (00000002:kIOAccelCommandBufferCallbackErrorTimeout)");
            q.dispatch(dev.kiln.metal.kernels.TestDispatches.copy(q.staging().address(), q.arena(), 1));
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, q::synchronize);
            assertTrue(e.getMessage().contains("GPU Timeout"), e.getMessage());
            q.dispatch(dev.kiln.metal.kernels.TestDispatches.copy(q.staging().address(), q.arena(), 1));
            q.synchronize();
            assertEquals(42, MemorySegment.ofAddress(q.arena()).reinterpret(4).get(ValueLayout.JAVA_INT, 0));
        }
        b.close();
        assertEquals(live, f.liveObjects());
    }

    @Test
    void onLinuxNamingMetalFailsWithOneLineSayingSo() {
        assumeTrue(!MetalLibraries.isMac(System.getProperty("os.name")));
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> dev.kiln.backend.Backends.select(List.of("metal")));
        assertEquals("backend 'metal' cannot run here: Metal exists only on macOS; this is " + System.getProperty("os.name"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals(List.of("cpu-ref"), dev.kiln.backend.Backends.select(List.of("metal", "cpu-ref")).stream()
                .map(dev.kiln.backend.Backend::name).toList());
        assertNull(MetalProbe.osReason("Mac OS X"));
    }
}

package dev.kiln.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.BackendUnavailableException;
import dev.kiln.backend.Backend;
import dev.kiln.backend.Backends;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Selection of the CUDA backend on machines without a GPU, and CPU fallback inside a graph. */
class CudaBackendTest {
    @Test
    void withoutAGpuNamingCudaFailsWithTheReasonUnlessACpuFallbackIsNamed() {
        String reason = CudaProbe.unavailableReason();
        assumeTrue(reason != null, "this machine has a usable GPU");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.select(List.of("cuda")));
        assertEquals("backend 'cuda' cannot run here: " + reason, e.getMessage());
        assertEquals(List.of("cpu-ref"), Backends.select(List.of("cuda", "cpu-ref")).stream().map(Backend::name).toList());
        assertTrue(Backends.select(List.of()).stream().noneMatch(b -> b.name().equals("cuda")));
    }

    @Test
    void reasonsNameTheMissingPiece() {
        assertEquals("libcuda.so.1", CudaProbe.driverLibrary("Linux"));
        assertEquals("nvcuda.dll", CudaProbe.driverLibrary("Windows 11"));
        assertEquals(null, CudaProbe.driverLibrary("Mac OS X"));
        assertTrue(CudaProbe.initFailure(100).startsWith("no CUDA device"));
        assertTrue(CudaProbe.initFailure(35).contains("too old"));
        assertEquals("12.4", CudaProbe.cudaVersion(12040));
    }

    @Test
    void operatorsWithoutACudaKernelRunOnTheCpuBetweenDeviceSteps() {
        assumeTrue(CudaEmulator.unavailableReason() == null, () -> "emulator unavailable: " + CudaEmulator.unavailableReason());
        KernelCases k = new KernelCases(() -> new EmulatedDriver(CudaEmulator.get()), 7);
        Tensor x = k.floats(1, 3, 12, 10);
        Graph g = Graph.builder().name("mixed").opset("", 17).addInput(new ValueInfo("x", x.type()))
                .initializer("w", k.floats(4, 3, 3, 3)).initializer("b", k.floats(4))
                .addOutput(new ValueInfo("y", null)).addOutput(new ValueInfo("s", null))
                .addNode(new Node("conv", "Conv", "", List.of("x", "w", "b"), List.of("c"),
                        List.of(new Attribute.IntsAttr("pads", new long[] {1, 1, 1, 1}))))
                .addNode(new Node("sign", "Sign", "", List.of("c"), List.of("s"), List.of()))
                .addNode(new Node("mul", "Mul", "", List.of("s", "c"), List.of("m"), List.of()))
                .addNode(new Node("pool", "GlobalAveragePool", "", List.of("m"), List.of("p"), List.of()))
                .addNode(new Node("flat", "Flatten", "", List.of("p"), List.of("f"), List.of()))
                .addNode(new Node("soft", "Softmax", "", List.of("f"), List.of("y"), List.of()))
                .build();
        k.check(g, Map.of("x", x), "Conv", KernelCases.RTOL, KernelCases.ATOL);
        k.check(g, Map.of("x", x), "Softmax", KernelCases.RTOL, KernelCases.ATOL);
    }
}

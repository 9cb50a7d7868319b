package dev.kiln.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kiln.Options;
import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DerivedConstantsTest {
    /** Binds {@code test.Probe(x, w)} as a copy of x, deriving a value from the constant w like a kernel packing weights. */
    private static final class Probe implements Backend {
        final AtomicInteger derivations = new AtomicInteger();
        final List<Object> seen = new ArrayList<>();

        @Override
        public String name() {
            return "probe";
        }

        @Override
        public Device device() {
            return Device.CPU;
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public boolean supports(String domain, String opType) {
            return domain.equals("test") && opType.equals("Probe");
        }

        @Override
        public Kernel bind(BindContext ctx) {
            seen.add(ctx.derived(ctx.constantInput(1), "packed", t -> {
                derivations.incrementAndGet();
                return new float[] {t.getFloat(0)};
            }));
            return k -> k.tensor(0).copyInto(k.allocate(0, k.tensor(0).dtype(), k.tensor(0).shape()));
        }
    }

    @Test
    void plansCompiledForOtherShapesShareTheValuesDerivedFromConstants() {
        Graph g = Graph.builder().name("g").opset("test", 1)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT, SymbolicShape.of(Dim.symbol("n")))))
                .initializer("w", Tensor.ofFloats(new long[] {1}, 3))
                .addNode(new Node("p", "Probe", "test", List.of("x", "w"), List.of("y"), List.of()))
                .addOutput(new ValueInfo("y", null))
                .build();
        Probe probe = new Probe();
        Compiler c = new Compiler("m.onnx", Options.defaults(), List.of(probe));
        c.compile(g);
        for (long n : new long[] {2, 5, 7}) {
            c.compile(g, Map.of("x", ValueType.tensor(DType.FLOAT, SymbolicShape.known(n))));
        }
        assertEquals(4, probe.seen.size());
        assertEquals(1, probe.derivations.get());
        for (Object o : probe.seen) {
            assertSame(probe.seen.getFirst(), o);
        }
        // Another compiler (another session) derives its own.
        new Compiler("m.onnx", Options.defaults(), List.of(probe)).compile(g);
        assertEquals(2, probe.derivations.get());
        assertNotSame(probe.seen.getFirst(), probe.seen.getLast());
    }

    @Test
    void kindsAreKeptApartAndNullIsRemembered() {
        DerivedConstants d = new DerivedConstants();
        Tensor w = Tensor.ofFloats(new long[] {1}, 1);
        AtomicInteger calls = new AtomicInteger();
        Object a = d.get(w, "a", t -> new Object());
        assertSame(a, d.get(w, "a", t -> new Object()));
        assertNotSame(a, d.get(w, "b", t -> new Object()));
        assertNotSame(a, d.get(Tensor.ofFloats(new long[] {1}, 1), "a", t -> new Object()));
        assertNull(d.get(w, "none", t -> {
            calls.incrementAndGet();
            return null;
        }));
        assertNull(d.get(w, "none", t -> {
            calls.incrementAndGet();
            return new Object();
        }));
        assertEquals(1, calls.get());
    }
}

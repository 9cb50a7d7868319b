package dev.kiln.compile;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.Set;

/**
 * A tiny backend for engine-core tests (domain {@code test}): float {@code Add} of equal shapes,
 * {@code Scale} by an integer attribute, {@code Copy}, and {@code View} (an output sharing its
 * input's memory).
 */
public final class TestBackend implements Backend {
    private static final Set<String> OPS = Set.of("Add", "Scale", "Copy", "View");

    @Override
    public String name() {
        return "test";
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
        return domain.equals("test") && OPS.contains(opType);
    }

    @Override
    public Kernel bind(BindContext ctx) {
        return switch (ctx.node().opType()) {
            case "Add" -> k -> {
                Tensor a = k.tensor(0);
                Tensor b = k.tensor(1);
                Tensor y = k.allocate(0, DType.FLOAT, a.shape());
                for (long i = 0; i < a.size(); i++) {
                    y.setFloat(i, a.getFloat(i) + b.getFloat(i));
                }
            };
            case "Scale" -> {
                long factor = ctx.node().attrInt("factor", 1);
                yield k -> {
                    Tensor a = k.tensor(0);
                    Tensor y = k.allocate(0, DType.FLOAT, a.shape());
                    for (long i = 0; i < a.size(); i++) {
                        y.setFloat(i, a.getFloat(i) * factor);
                    }
                };
            }
            case "Copy" -> k -> k.tensor(0).copyInto(k.allocate(0, k.tensor(0).dtype(), k.tensor(0).shape()));
            case "View" -> new Kernel() {
                @Override
                public void run(KernelContext k) {
                    k.set(0, k.tensor(0).reshape(k.tensor(0).shape()));
                }

                @Override
                public int viewOf(int output) {
                    return 0;
                }
            };
            default -> null;
        };
    }
}

package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.graph.Attribute;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.OptionalValue;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;

/**
 * Optional, OptionalHasElement and OptionalGetElement. From opset 18 the last two also accept a
 * plain tensor or sequence (always present) and, for OptionalHasElement, no input at all.
 */
final class OptionalKernels {
    private OptionalKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(OptionalKernels::optional, "Optional");
        r.onnx(b -> OptionalKernels::hasElement, "OptionalHasElement");
        r.onnx(b -> OptionalKernels::getElement, "OptionalGetElement");
    }

    private static Kernel optional(BindContext b) {
        ValueType declared = b.node().attribute("type") instanceof Attribute.TypeAttr t ? t.value() : null;
        if (!b.node().hasInput(0)) {
            if (declared == null) {
                throw new ModelFormatException("Optional without an input needs the 'type' attribute");
            }
            OptionalValue empty = OptionalValue.empty(declared);
            return k -> k.set(0, empty);
        }
        return k -> {
            Value v = k.input(0);
            ValueType type = declared != null ? declared
                    : v instanceof Tensor t ? SequenceKernels.elementType(t.dtype()) : v.type();
            k.set(0, new OptionalValue(type, v instanceof Tensor t ? k.retain(t) : v));
        };
    }

    private static void hasElement(KernelContext k) {
        Value v = k.input(0);
        boolean present = v instanceof OptionalValue o ? o.isPresent() : v != null;
        k.allocate(0, DType.BOOL, Shape.SCALAR).setLong(0, present ? 1 : 0);
    }

    private static void getElement(KernelContext k) {
        Value v = k.input(0);
        if (v instanceof OptionalValue o) {
            if (!o.isPresent()) {
                throw new IllegalArgumentException("OptionalGetElement on an empty optional");
            }
            // What an optional holds was retained when it was made.
            k.set(0, o.value());
        } else if (v instanceof Tensor t) {
            k.set(0, k.retain(t));
        } else if (v != null) {
            k.set(0, v);
        } else {
            throw new IllegalArgumentException("OptionalGetElement needs an input");
        }
    }
}

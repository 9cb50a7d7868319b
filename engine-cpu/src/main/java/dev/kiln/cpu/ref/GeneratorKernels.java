package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Attribute;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Operators that make tensors from attributes and shapes: Constant, ConstantOfShape. */
final class GeneratorKernels {
    private GeneratorKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(GeneratorKernels::constant, "Constant");
        r.onnx(GeneratorKernels::constantOfShape, "ConstantOfShape");
    }

    private static Kernel constant(BindContext b) {
        Tensor value = constantValue(b);
        return k -> value.copyInto(k.allocate(0, value.dtype(), value.shape()));
    }

    /** The value a Constant node's attribute holds. */
    static Tensor constantValue(BindContext b) {
        for (Attribute a : b.node().attributes().values()) {
            return switch (a) {
                case Attribute.TensorAttr t -> t.value();
                case Attribute.FloatAttr f -> Tensor.scalar(f.value());
                case Attribute.IntAttr i -> Tensor.scalar(i.value());
                case Attribute.FloatsAttr f -> Tensor.ofFloats(new long[] {f.values().length}, f.values());
                case Attribute.IntsAttr i -> Tensor.ofLongs(new long[] {i.values().length}, i.values());
                case Attribute.StringAttr s -> Tensor.ofStrings(Shape.SCALAR, s.value());
                case Attribute.StringsAttr s -> Tensor.ofStrings(Shape.of(s.values().size()),
                        s.values().toArray(new String[0]));
                default -> throw new IllegalArgumentException("Constant attribute '" + a.name() + "' is not supported");
            };
        }
        throw new IllegalArgumentException("Constant has no value attribute");
    }

    private static Kernel constantOfShape(BindContext b) {
        Tensor value = b.node().attrTensor("value");
        Tensor fill = value == null ? Tensor.scalar(0f) : value;
        if (fill.size() != 1) {
            throw new IllegalArgumentException("ConstantOfShape value must hold one element");
        }
        return k -> {
            long[] dims = k.tensor(0).toLongArray();
            for (long d : dims) {
                if (d < 0) {
                    throw new IllegalArgumentException("ConstantOfShape dimension " + d + " is negative");
                }
            }
            Tensor y = k.allocate(0, fill.dtype(), Shape.of(dims));
            if (fill.dtype() == DType.STRING) {
                for (long i = 0; i < y.size(); i++) {
                    y.setString(i, fill.getString(0));
                }
            } else if (fill.dtype().isPacked()) {
                for (long i = 0; i < y.size(); i++) {
                    y.setLong(i, fill.getLong(0));
                }
            } else {
                long w = fill.dtype().bits() / 8;
                for (long i = 0; i < y.size(); i++) {
                    java.lang.foreign.MemorySegment.copy(fill.data(), 0, y.data(), i * w, w);
                }
            }
        };
    }
}

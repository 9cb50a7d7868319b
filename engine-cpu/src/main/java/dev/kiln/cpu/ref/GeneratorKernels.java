package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Attribute;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Operators that make tensors from attributes, shapes and scalars: Constant, ConstantOfShape, EyeLike, Range. */
final class GeneratorKernels {
    private GeneratorKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(GeneratorKernels::constant, "Constant");
        r.onnx(GeneratorKernels::constantOfShape, "ConstantOfShape");
        r.onnx(GeneratorKernels::eyeLike, "EyeLike");
        r.onnx(GeneratorKernels::range, "Range");
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

    private static Kernel eyeLike(BindContext b) {
        long code = b.node().attrInt("dtype", -1);
        DType attrType = code < 0 ? null : DType.fromCode((int) code);
        if (code >= 0 && (attrType == null || attrType == DType.UNDEFINED || attrType == DType.STRING)) {
            throw new IllegalArgumentException("EyeLike dtype " + code + " is not a valid output type");
        }
        long diag = b.node().attrInt("k", 0);
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() != 2) {
                throw new IllegalArgumentException("EyeLike input must be 2-D, got " + x.shape());
            }
            Tensor y = k.allocate(0, attrType != null ? attrType : x.dtype(), x.shape());
            long rows = x.shape().dim(0);
            long cols = x.shape().dim(1);
            for (long i = 0; i < rows; i++) {
                for (long j = 0; j < cols; j++) {
                    y.setLong(i * cols + j, j - i == diag ? 1 : 0);
                }
            }
        };
    }

    /**
     * Range. Integer types count exactly; float and double compute in their own precision.
     * float16 and bfloat16 compute in float from opset 27 ({@code stash_type} 1, the default),
     * and round every step to the type before (the formula {@code start + i * delta} in T).
     */
    private static Kernel range(BindContext b) {
        boolean stash = b.opset() >= 27 && b.node().attrInt("stash_type", 1) == DType.FLOAT.code();
        return k -> {
            Tensor start = k.tensor(0);
            Tensor limit = k.tensor(1);
            Tensor delta = k.tensor(2);
            DType t = start.dtype();
            if (limit.dtype() != t || delta.dtype() != t) {
                throw new IllegalArgumentException("Range inputs differ in type: " + t + ", " + limit.dtype() + ", "
                        + delta.dtype());
            }
            if (start.size() != 1 || limit.size() != 1 || delta.size() != 1) {
                throw new IllegalArgumentException("Range inputs must be scalars");
            }
            if (t.isInteger()) {
                long s = start.getLong(0);
                long d = delta.getLong(0);
                if (d == 0) {
                    throw new IllegalArgumentException("Range delta must not be 0");
                }
                long n = Math.max(0, Math.ceilDiv(Math.subtractExact(limit.getLong(0), s), d));
                Tensor y = k.allocate(0, t, Shape.of(n));
                for (long i = 0; i < n; i++) {
                    y.setLong(i, s + i * d);
                }
                return;
            }
            if (!t.isFloat()) {
                throw new IllegalArgumentException("Range is not defined for " + t + " tensors");
            }
            double s = start.getDouble(0);
            double d = delta.getDouble(0);
            double span = t == DType.DOUBLE ? (limit.getDouble(0) - s) / d
                    : (float) ((float) (limit.getDouble(0) - s) / (float) d);
            if (Double.isNaN(span) || Double.isInfinite(span)) {
                throw new IllegalArgumentException("Range of " + s + " to " + limit.getDouble(0) + " by " + d
                        + " has no finite length");
            }
            long n = (long) Math.max(0, Math.ceil(span));
            Tensor y = k.allocate(0, t, Shape.of(n));
            boolean inType = (t == DType.FLOAT16 || t == DType.BFLOAT16) && !stash;
            Tensor step = inType ? Tensor.allocate(t, Shape.of(1)) : null;
            for (long i = 0; i < n; i++) {
                if (inType) {
                    step.setDouble(0, i * d);
                    step.setDouble(0, s + step.getDouble(0));
                    y.setDouble(i, step.getDouble(0));
                } else if (t == DType.DOUBLE) {
                    y.setDouble(i, s + i * d);
                } else {
                    y.setDouble(i, (float) s + (float) i * (float) d);
                }
            }
        };
    }
}

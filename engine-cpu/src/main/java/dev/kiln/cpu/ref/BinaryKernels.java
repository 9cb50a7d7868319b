package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Elementwise functions of two or more tensors with numpy broadcasting: arithmetic, comparison,
 * logic, bitwise operators, the variadic Sum/Mean/Max/Min, PRelu and Where.
 */
final class BinaryKernels {
    private BinaryKernels() {
    }

    /** A function on two doubles, for floating types. */
    @FunctionalInterface
    interface DoubleOp {
        double apply(double a, double b);
    }

    /** A function on two longs, for integer types (given the type, for unsigned variants). */
    @FunctionalInterface
    interface LongOp {
        long apply(long a, long b);
    }

    /** The long function for a given integer type. */
    @FunctionalInterface
    interface LongOpFor {
        LongOp of(DType t);
    }

    static void register(KernelRegistry r) {
        arith(r, "Add", (a, b) -> a + b, t -> (a, b) -> a + b);
        arith(r, "Sub", (a, b) -> a - b, t -> (a, b) -> a - b);
        arith(r, "Mul", (a, b) -> a * b, t -> (a, b) -> a * b);
        arith(r, "Div", (a, b) -> a / b, t -> isUnsigned64(t) ? Long::divideUnsigned : (a, b) -> {
            if (b == 0) {
                throw new ArithmeticException("integer division by zero");
            }
            return a / b;
        });
        r.onnx(ctx -> pow(), "Pow");
        r.onnx(BinaryKernels::mod, "Mod");
        r.onnx(ctx -> {
            boolean left = ctx.node().attrString("direction", "").equals("LEFT");
            return binary(null, t -> (a, b) -> left ? (b >= 64 ? 0 : a << b) : (b >= 64 ? 0 : a >>> b), false);
        }, "BitShift");
        r.onnx(ctx -> binary(null, t -> (a, b) -> a & b, false), "BitwiseAnd");
        r.onnx(ctx -> binary(null, t -> (a, b) -> a | b, false), "BitwiseOr");
        r.onnx(ctx -> binary(null, t -> (a, b) -> a ^ b, false), "BitwiseXor");
        r.onnx(ctx -> binary(null, t -> (a, b) -> (a != 0 && b != 0) ? 1 : 0, true), "And");
        r.onnx(ctx -> binary(null, t -> (a, b) -> (a != 0 || b != 0) ? 1 : 0, true), "Or");
        r.onnx(ctx -> binary(null, t -> (a, b) -> ((a != 0) ^ (b != 0)) ? 1 : 0, true), "Xor");
        compare(r, "Equal", c -> c == 0);
        compare(r, "Less", c -> c < 0);
        compare(r, "Greater", c -> c > 0);
        compare(r, "LessOrEqual", c -> c <= 0);
        compare(r, "GreaterOrEqual", c -> c >= 0);
        r.onnx(ctx -> variadic((a, b) -> a + b, t -> (a, b) -> a + b, false), "Sum");
        r.onnx(ctx -> variadic((a, b) -> a + b, t -> (a, b) -> a + b, true), "Mean");
        r.onnx(ctx -> variadic(BinaryKernels::max, t -> isUnsigned64(t)
                ? (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b : Math::max, false), "Max");
        r.onnx(ctx -> variadic(BinaryKernels::min, t -> isUnsigned64(t)
                ? (a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b : Math::min, false), "Min");
        r.onnx(BinaryKernels::prelu, "PRelu");
        r.onnx(ctx -> BinaryKernels::where, "Where");
    }

    private static boolean isUnsigned64(DType t) {
        return t == DType.UINT64;
    }

    private static double max(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }

    private static double min(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
    }

    private static void arith(KernelRegistry r, String op, DoubleOp d, LongOpFor l) {
        r.onnx(ctx -> binary(d, l, false), op);
    }

    /** Comparison: {@code test} receives the sign of compare(a, b). */
    private static void compare(KernelRegistry r, String op, java.util.function.IntPredicate test) {
        r.onnx(ctx -> k -> {
            Tensor a = k.tensor(0);
            Tensor b = k.tensor(1);
            Broadcast bc = broadcastOf(k, a, b);
            Tensor y = k.allocate(0, DType.BOOL, bc.shape());
            DType t = a.dtype();
            bc.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    long ia = s[0] + i * st[0];
                    long ib = s[1] + i * st[1];
                    boolean v;
                    if (t == DType.STRING) {
                        v = test.test(Integer.signum(a.getString(ia).compareTo(b.getString(ib))));
                    } else if (t.isFloat()) {
                        double x = a.getDouble(ia);
                        double z = b.getDouble(ib);
                        // Every comparison with NaN is false; -0.0 equals 0.0.
                        v = !Double.isNaN(x) && !Double.isNaN(z) && test.test(x < z ? -1 : x > z ? 1 : 0);
                    } else if (t == DType.UINT64) {
                        v = test.test(Long.compareUnsigned(a.getLong(ia), b.getLong(ib)));
                    } else {
                        v = test.test(Long.compare(a.getLong(ia), b.getLong(ib)));
                    }
                    y.setLong(o + i, v ? 1 : 0);
                }
            });
        }, op);
    }

    static Broadcast broadcastOf(KernelContext k, Tensor... ts) {
        Shape[] shapes = new Shape[ts.length];
        for (int i = 0; i < ts.length; i++) {
            shapes[i] = ts[i].shape();
        }
        return Broadcast.of(shapes);
    }

    /** A broadcasting kernel; output type is the first input's, or bool. */
    static Kernel binary(DoubleOp d, LongOpFor l, boolean boolOut) {
        return k -> {
            Tensor a = k.tensor(0);
            Tensor b = k.tensor(1);
            Broadcast bc = broadcastOf(k, a, b);
            Tensor y = k.allocate(0, boolOut ? DType.BOOL : a.dtype(), bc.shape());
            apply(a, b, y, bc, d, l, k);
        };
    }

    static void apply(Tensor a, Tensor b, Tensor y, Broadcast bc, DoubleOp d, LongOpFor l, KernelContext k) {
        DType t = a.dtype();
        if (t == DType.FLOAT && b.dtype() == DType.FLOAT && y.dtype() == DType.FLOAT && d != null) {
            bc.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    y.setFloat(o + i, (float) d.apply(a.getFloat(s[0] + i * st[0]), b.getFloat(s[1] + i * st[1])));
                }
            });
        } else if (t.isFloat() && d != null) {
            bc.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    y.setDouble(o + i, d.apply(a.getDouble(s[0] + i * st[0]), b.getDouble(s[1] + i * st[1])));
                }
            });
        } else if ((t.isInteger() || t == DType.BOOL) && l != null) {
            LongOp op = l.of(t);
            bc.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    y.setLong(o + i, op.apply(a.getLong(s[0] + i * st[0]), b.getLong(s[1] + i * st[1])));
                }
            });
        } else {
            throw new IllegalArgumentException(k.node().opType() + " is not defined for " + t + " tensors");
        }
    }

    /**
     * Pow: the result has the base's type. Integer powers of integers are exact (wrapping like
     * repeated multiplication); other combinations compute in double and convert.
     */
    private static Kernel pow() {
        return k -> {
            Tensor a = k.tensor(0);
            Tensor b = k.tensor(1);
            Broadcast bc = broadcastOf(k, a, b);
            Tensor y = k.allocate(0, a.dtype(), bc.shape());
            boolean integer = a.dtype().isInteger();
            boolean exact = integer && b.dtype().isInteger();
            bc.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    long ai = s[0] + i * st[0];
                    long bi = s[1] + i * st[1];
                    if (exact && b.getLong(bi) >= 0) {
                        y.setLong(o + i, integerPower(a.getLong(ai), b.getLong(bi)));
                        continue;
                    }
                    double v = Math.pow(a.getDouble(ai), b.getDouble(bi));
                    if (integer) {
                        y.setLong(o + i, (long) v);
                    } else {
                        y.setDouble(o + i, v);
                    }
                }
            });
        };
    }

    /** {@code base^exp} for {@code exp >= 0} by squaring, wrapping modulo 2^64. */
    static long integerPower(long base, long exp) {
        long result = 1;
        long b = base;
        for (long e = exp; e > 0; e >>>= 1) {
            if ((e & 1) != 0) {
                result *= b;
            }
            b *= b;
        }
        return result;
    }

    private static Kernel mod(BindContext ctx) {
        boolean fmod = ctx.node().attrInt("fmod", 0) != 0;
        DoubleOp d = fmod ? (a, b) -> a % b : (a, b) -> {
            double m = a % b;
            return m != 0 && (m < 0) != (b < 0) ? m + b : m;
        };
        LongOpFor l = t -> isUnsigned64(t) ? Long::remainderUnsigned : fmod ? (a, b) -> a % b : Math::floorMod;
        return binary(d, l, false);
    }

    /**
     * PRelu: the slope broadcasts to X's shape one way. Before opset 7 a 1-D slope that is not a
     * single value holds one slope per channel (axis 1).
     */
    private static Kernel prelu(BindContext b) {
        boolean perChannel = b.opset() < 7;
        DoubleOp d = (x, s) -> x < 0 ? s * x : x;
        LongOpFor l = t -> t.kind() == DType.Kind.UNSIGNED ? (x, s) -> x : (x, s) -> x < 0 ? s * x : x;
        return k -> {
            Tensor x = k.tensor(0);
            Tensor slope = k.tensor(1);
            if (perChannel && slope.rank() == 1 && slope.size() != 1 && x.rank() >= 2
                    && slope.shape().dim(0) == x.shape().dim(1)) {
                long[] dims = new long[x.rank() - 1];
                java.util.Arrays.fill(dims, 1);
                dims[0] = slope.size();
                slope = slope.reshape(Shape.of(dims));
            }
            if (!dev.kiln.ops.Shapes.broadcast(x.shape(), slope.shape()).equals(x.shape())) {
                throw new IllegalArgumentException("PRelu slope " + slope.shape() + " does not broadcast to X "
                        + x.shape());
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            apply(x, slope, y, Broadcast.to(x.shape(), x.shape(), slope.shape()), d, l, k);
        };
    }

    private static Kernel variadic(DoubleOp d, LongOpFor l, boolean mean) {
        return k -> {
            int n = k.inputCount();
            Shape[] shapes = new Shape[n];
            for (int i = 0; i < n; i++) {
                shapes[i] = k.tensor(i).shape();
            }
            Shape out = dev.kiln.ops.Shapes.broadcast(shapes);
            Tensor first = k.tensor(0);
            Tensor acc = k.allocate(0, first.dtype(), out);
            Broadcast copy = Broadcast.to(out, first.shape());
            copy.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    if (first.dtype().isFloat()) {
                        acc.setDouble(o + i, first.getDouble(s[0] + i * st[0]));
                    } else {
                        acc.setLong(o + i, first.getLong(s[0] + i * st[0]));
                    }
                }
            });
            for (int j = 1; j < n; j++) {
                Tensor x = k.tensor(j);
                apply(acc, x, acc, Broadcast.to(out, out, x.shape()), d, l, k);
            }
            if (mean) {
                for (long i = 0; i < acc.size(); i++) {
                    acc.setDouble(i, acc.getDouble(i) / n);
                }
            }
        };
    }

    private static void where(KernelContext k) {
        Tensor c = k.tensor(0);
        Tensor x = k.tensor(1);
        Tensor z = k.tensor(2);
        Broadcast bc = broadcastOf(k, c, x, z);
        Tensor y = k.allocate(0, x.dtype(), bc.shape());
        if (x.dtype() == DType.STRING) {
            bc.forEachRow((o, len, s, st) -> {
                for (long i = 0; i < len; i++) {
                    y.setString(o + i, c.getBoolean(s[0] + i * st[0]) ? x.getString(s[1] + i * st[1])
                            : z.getString(s[2] + i * st[2]));
                }
            });
            return;
        }
        long w = x.dtype().bits() / 8;
        if (w == 0) {
            throw new IllegalArgumentException("Where is not defined for " + x.dtype());
        }
        bc.forEachRow((o, len, s, st) -> {
            for (long i = 0; i < len; i++) {
                boolean pick = c.getBoolean(s[0] + i * st[0]);
                Tensor src = pick ? x : z;
                long si = pick ? s[1] + i * st[1] : s[2] + i * st[2];
                java.lang.foreign.MemorySegment.copy(src.data(), si * w, y.data(), (o + i) * w, w);
            }
        });
    }
}

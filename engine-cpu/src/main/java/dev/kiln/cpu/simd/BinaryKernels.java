package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 elementwise operators of two or more inputs with numpy broadcasting: Add, Sub, Mul,
 * Div, Max, Min, PRelu, the variadic Sum/Mean/Max/Min, and Pow with a constant small exponent.
 * Each row of the broadcast is one vector loop in which an operand either streams or is a
 * broadcast scalar.
 */
final class BinaryKernels {
    private BinaryKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Outputs smaller than this run on one thread. */
    static final long PARALLEL_MIN = 1 << 16;

    /** The operations; each has its own vector loop. */
    enum Op { ADD, SUB, MUL, DIV, MAX, MIN, PRELU, SQUARE_OF_A, CUBE_OF_A, SQRT_OF_A }

    static void register(KernelRegistry r) {
        r.onnx(b -> binary(b, Op.ADD), "Add");
        r.onnx(b -> binary(b, Op.SUB), "Sub");
        r.onnx(b -> binary(b, Op.MUL), "Mul");
        r.onnx(b -> binary(b, Op.DIV), "Div");
        r.onnx(b -> binary(b, Op.PRELU), "PRelu");
        r.onnx(BinaryKernels::pow, "Pow");
        r.onnx(b -> variadic(b, Op.ADD, false), "Sum");
        r.onnx(b -> variadic(b, Op.ADD, true), "Mean");
        r.onnx(b -> variadic(b, Op.MAX, false), "Max");
        r.onnx(b -> variadic(b, Op.MIN, false), "Min");
    }

    private static Kernel binary(BindContext b, Op op) {
        // Before opset 7 PRelu's 1-D slope is per channel, not numpy-broadcast: the reference kernel does it.
        if (b.inputCount() != 2 || !Float32.inputs(b, 0, 1) || (op == Op.PRELU && b.opset() < 7)) {
            return null;
        }
        return k -> {
            Tensor x = k.tensor(0);
            Tensor z = k.tensor(1);
            Float32.require(x, k.node().opType() + " input A");
            Float32.require(z, k.node().opType() + " input B");
            BroadcastRows rows = BroadcastRows.of(x.shape(), z.shape());
            if (op == Op.PRELU && !rows.shape().equals(x.shape())) {
                throw new IllegalArgumentException("PRelu slope " + z.shape() + " does not broadcast to X " + x.shape());
            }
            Tensor y = k.allocate(0, x.dtype(), rows.shape());
            apply(k, op, x.data(), z.data(), y.data(), rows);
        };
    }

    /** Pow with a constant exponent of 2, 3 or 0.5 (as in decomposed LayerNorm and GELU); else refused. */
    private static Kernel pow(BindContext b) {
        Tensor e = b.constantInput(1);
        if (!Float32.inputs(b, 0) || e == null || e.size() != 1 || !e.dtype().isFloat()) {
            return null;
        }
        double v = e.getDouble(0);
        Op op = v == 2 ? Op.SQUARE_OF_A : v == 3 ? Op.CUBE_OF_A : v == 0.5 ? Op.SQRT_OF_A : null;
        if (op == null) {
            return null;
        }
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, "Pow input X");
            BroadcastRows rows = BroadcastRows.of(x.shape(), k.tensor(1).shape());
            Tensor y = k.allocate(0, x.dtype(), rows.shape());
            apply(k, op, x.data(), x.data(), y.data(), BroadcastRows.to(rows.shape(), x.shape(), x.shape()));
        };
    }

    private static Kernel variadic(BindContext b, Op op, boolean mean) {
        int n = b.inputCount();
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        if (n == 0 || !Float32.inputs(b, all)) {
            return null;
        }
        return k -> {
            Shape[] shapes = new Shape[n];
            for (int i = 0; i < n; i++) {
                Float32.require(k.tensor(i), k.node().opType() + " input " + i);
                shapes[i] = k.tensor(i).shape();
            }
            Shape out = dev.kiln.ops.Shapes.broadcast(shapes);
            Tensor y = k.allocate(0, k.tensor(0).dtype(), out);
            Tensor first = k.tensor(0);
            if (n == 1) {
                first.copyInto(y);
            } else {
                Tensor second = k.tensor(1);
                apply(k, op, first.data(), second.data(), y.data(), BroadcastRows.to(out, first.shape(), second.shape()));
                for (int i = 2; i < n; i++) {
                    Tensor t = k.tensor(i);
                    apply(k, op, y.data(), t.data(), y.data(), BroadcastRows.to(out, out, t.shape()));
                }
            }
            if (mean) {
                UnaryKernels.scale(y.data(), 0, y.size(), 1f / n);
            }
        };
    }


    /** y = op(a, b) over a broadcast of two inputs. */
    static void apply(KernelContext k, Op op, MemorySegment a, MemorySegment b, MemorySegment y, BroadcastRows rows) {
        rows.forEach(k.parallel(), PARALLEL_MIN, (o, len, s, st) -> row(op, a, s[0], st[0] == 1, b, s[1], st[1] == 1, y, o, len));
    }

    /**
     * One row: y[yo + i] = op(a[ao + i or ao], b[bo + i or bo]), where an operand that does not
     * stream is one scalar. Each operation has its own small method with one loop per case of
     * streaming operands: one large method holding every loop exceeded C2's inlining budget, so
     * its vector operations ran as the (allocating) Java fallback, and a vector that is either
     * loaded or broadcast in the loop is a phi that C2 has crashed on (SIGSEGV, PaddleOCR det).
     */
    static void row(Op op, MemorySegment a, long ao, boolean aStreams, MemorySegment b, long bo, boolean bStreams,
                    MemorySegment y, long yo, long n) {
        long done = switch (op) {
            case ADD -> add(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case SUB -> sub(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case MUL -> mul(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case DIV -> div(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case MAX -> max(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case MIN -> min(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case PRELU -> prelu(a, ao, aStreams, b, bo, bStreams, y, yo, n);
            case SQUARE_OF_A, CUBE_OF_A, SQRT_OF_A -> ofA(op, a, ao, aStreams, y, yo, n);
        };
        for (long i = done; i < n; i++) {
            float va = a.getAtIndex(Layouts.F32, aStreams ? ao + i : ao);
            float vb = b.getAtIndex(Layouts.F32, bStreams ? bo + i : bo);
            y.setAtIndex(Layouts.F32, yo + i, scalar(op, va, vb));
        }
    }

    private static FloatVector load(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(S, s, index * 4, LE);
    }

    private static FloatVector scalarAt(MemorySegment s, long index) {
        return FloatVector.broadcast(S, s.getAtIndex(Layouts.F32, index));
    }

    /** Elements {@code [0, returned)} of a row of ADD; the caller does the tail. */
    private static long add(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.add(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.add(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.add(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of SUB; the caller does the tail. */
    private static long sub(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.sub(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.sub(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.sub(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of MUL; the caller does the tail. */
    private static long mul(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.mul(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.mul(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.mul(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of DIV; the caller does the tail. */
    private static long div(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.div(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.div(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.div(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of MAX; the caller does the tail. */
    private static long max(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.max(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.max(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.max(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of MIN; the caller does the tail. */
    private static long min(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.min(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.min(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.min(vb).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of PRELU; the caller does the tail. */
    private static long prelu(MemorySegment a, long ao, boolean as, MemorySegment b, long bo, boolean bs, MemorySegment y,
                            long yo, long n) {
        int l = S.length();
        long i = 0;
        if (as && bs) {
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                FloatVector vb = load(b, bo + i);
                va.blend(va.mul(vb), va.compare(VectorOperators.LT, 0f)).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (as) {
            FloatVector vb = scalarAt(b, bo);
            for (; i <= n - l; i += l) {
                FloatVector va = load(a, ao + i);
                va.blend(va.mul(vb), va.compare(VectorOperators.LT, 0f)).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        } else if (bs) {
            FloatVector va = scalarAt(a, ao);
            for (; i <= n - l; i += l) {
                FloatVector vb = load(b, bo + i);
                va.blend(va.mul(vb), va.compare(VectorOperators.LT, 0f)).intoMemorySegment(y, (yo + i) * 4, LE);
            }
        }
        return i;
    }

    /** Elements {@code [0, returned)} of a row of a power of A alone; the caller does the tail. */
    private static long ofA(Op op, MemorySegment a, long ao, boolean as, MemorySegment y, long yo, long n) {
        int l = S.length();
        long i = 0;
        if (!as) {
            return 0;
        }
        switch (op) {
            case SQUARE_OF_A -> {
                for (; i <= n - l; i += l) {
                    FloatVector va = load(a, ao + i);
                    va.mul(va).intoMemorySegment(y, (yo + i) * 4, LE);
                }
            }
            case CUBE_OF_A -> {
                for (; i <= n - l; i += l) {
                    FloatVector va = load(a, ao + i);
                    va.mul(va).mul(va).intoMemorySegment(y, (yo + i) * 4, LE);
                }
            }
            default -> {
                for (; i <= n - l; i += l) {
                    load(a, ao + i).sqrt().intoMemorySegment(y, (yo + i) * 4, LE);
                }
            }
        }
        return i;
    }

    /** The same operation on one element, for row tails. */
    private static float scalar(Op op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case PRELU -> a < 0 ? a * b : a;
            case SQUARE_OF_A -> a * a;
            case CUBE_OF_A -> a * a * a;
            case SQRT_OF_A -> (float) Math.sqrt(a);
        };
    }
}

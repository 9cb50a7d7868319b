package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Layouts;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.function.Function;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 elementwise functions of one input: the activations (through {@link Activation}) and
 * Exp, Erf, Sqrt, Abs, Neg, Reciprocal. Large tensors are split across the workers.
 */
final class UnaryKernels {
    private UnaryKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Tensors smaller than this run on one thread. */
    private static final long PARALLEL_MIN = 1 << 15;

    /** Functions that are not activations. */
    private enum Fn { EXP, ERF, SQRT, ABS, NEG, RECIPROCAL }

    static void register(KernelRegistry r) {
        activation(r, "Relu", n -> Activation.relu());
        activation(r, "LeakyRelu", n -> Activation.leakyRelu(n.attrFloat("alpha", 0.01f)));
        activation(r, "Sigmoid", n -> Activation.sigmoid());
        activation(r, "Tanh", n -> Activation.tanh());
        activation(r, "HardSigmoid", n -> Activation.hardSigmoid(n.attrFloat("alpha", 0.2f), n.attrFloat("beta", 0.5f)));
        activation(r, "HardSwish", n -> Activation.hardSwish());
        activation(r, "Gelu", n -> n.attrString("approximate", "none").equals("none") ? Activation.gelu() : null);
        r.onnx(UnaryKernels::clip, "Clip");
        function(r, "Exp", Fn.EXP);
        function(r, "Erf", Fn.ERF);
        function(r, "Sqrt", Fn.SQRT);
        function(r, "Abs", Fn.ABS);
        function(r, "Neg", Fn.NEG);
        function(r, "Reciprocal", Fn.RECIPROCAL);
    }

    private static void activation(KernelRegistry r, String op, Function<Node, Activation> make) {
        r.onnx(b -> {
            Activation act = Float32.inputs(b, 0) ? make.apply(b.node()) : null;
            return act == null ? null : k -> {
                Tensor x = k.tensor(0);
                Float32.require(x, op + " input");
                Tensor y = k.allocate(0, x.dtype(), x.shape());
                split(k.parallel(), x.size(), (s, e) -> act.apply(x.data(), s, y.data(), s, e - s));
            };
        }, op);
    }

    /** Clip with constant (or attribute) bounds; bounds only known at run time go to the reference kernel. */
    private static Kernel clip(BindContext b) {
        if (!Float32.inputs(b, 0)) {
            return null;
        }
        float lo;
        float hi;
        if (b.opset() < 11) {
            lo = b.node().attrFloat("min", Float.NEGATIVE_INFINITY);
            hi = b.node().attrFloat("max", Float.POSITIVE_INFINITY);
        } else {
            boolean hasMin = b.inputCount() > 1 && !b.node().input(1).isEmpty();
            boolean hasMax = b.inputCount() > 2 && !b.node().input(2).isEmpty();
            Tensor tmin = hasMin ? b.constantInput(1) : null;
            Tensor tmax = hasMax ? b.constantInput(2) : null;
            if (hasMin && tmin == null || hasMax && tmax == null) {
                return null;
            }
            lo = tmin == null ? Float.NEGATIVE_INFINITY : (float) tmin.getDouble(0);
            hi = tmax == null ? Float.POSITIVE_INFINITY : (float) tmax.getDouble(0);
        }
        Activation act = Activation.clip(lo, hi);
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, "Clip input");
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            split(k.parallel(), x.size(), (s, e) -> act.apply(x.data(), s, y.data(), s, e - s));
        };
    }

    private static void function(KernelRegistry r, String op, Fn fn) {
        r.onnx(b -> !Float32.inputs(b, 0) ? null : k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, op + " input");
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            split(k.parallel(), x.size(), (s, e) -> apply(fn, x.data(), y.data(), s, e));
        }, op);
    }

    /** y *= f over a run. */
    static void scale(MemorySegment y, long off, long n, float f) {
        int l = S.length();
        long i = 0;
        for (; i <= n - l; i += l) {
            FloatVector.fromMemorySegment(S, y, (off + i) * 4, LE).mul(f).intoMemorySegment(y, (off + i) * 4, LE);
        }
        for (; i < n; i++) {
            y.setAtIndex(Layouts.F32, off + i, y.getAtIndex(Layouts.F32, off + i) * f);
        }
    }

    /** Runs {@code task} over [0, n) in one piece, or split across the workers when n is large. */
    static void split(dev.kiln.backend.Parallel par, long n, dev.kiln.backend.Parallel.RangeTask task) {
        if (n < PARALLEL_MIN || par.threads() == 1) {
            task.run(0, n);
            return;
        }
        int l = S.length();
        long vectors = (n + l - 1) / l;
        long pieces = Math.min(par.threads(), n / (PARALLEL_MIN / 2));
        par.forRange(pieces, 1, (s, e) -> {
            for (long p = s; p < e; p++) {
                long a = vectors * p / pieces * l;
                long b = Math.min(n, vectors * (p + 1) / pieces * l);
                task.run(a, b);
            }
        });
    }

    private static void apply(Fn fn, MemorySegment x, MemorySegment y, long start, long end) {
        switch (fn) {
            case EXP -> VectorMath.exp(x, start, y, start, end - start);
            case ERF -> VectorMath.erf(x, start, y, start, end - start, 1f, false);
            case SQRT -> sqrt(x, y, start, end);
            case ABS -> abs(x, y, start, end);
            case NEG -> neg(x, y, start, end);
            case RECIPROCAL -> reciprocal(x, y, start, end);
        }
    }

    private static void sqrt(MemorySegment x, MemorySegment y, long i, long end) {
        int l = S.length();
        for (; i <= end - l; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, i * 4, LE);
            v.sqrt().intoMemorySegment(y, i * 4, LE);
        }
        for (; i < end; i++) {
            float v = x.getAtIndex(Layouts.F32, i);
            y.setAtIndex(Layouts.F32, i, (float) Math.sqrt(v));
        }
    }

    private static void abs(MemorySegment x, MemorySegment y, long i, long end) {
        int l = S.length();
        for (; i <= end - l; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, i * 4, LE);
            v.abs().intoMemorySegment(y, i * 4, LE);
        }
        for (; i < end; i++) {
            float v = x.getAtIndex(Layouts.F32, i);
            y.setAtIndex(Layouts.F32, i, Math.abs(v));
        }
    }

    private static void neg(MemorySegment x, MemorySegment y, long i, long end) {
        int l = S.length();
        for (; i <= end - l; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, i * 4, LE);
            v.neg().intoMemorySegment(y, i * 4, LE);
        }
        for (; i < end; i++) {
            float v = x.getAtIndex(Layouts.F32, i);
            y.setAtIndex(Layouts.F32, i, -v);
        }
    }

    private static void reciprocal(MemorySegment x, MemorySegment y, long i, long end) {
        int l = S.length();
        for (; i <= end - l; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, i * 4, LE);
            FloatVector.broadcast(S, 1f).div(v).intoMemorySegment(y, i * 4, LE);
        }
        for (; i < end; i++) {
            float v = x.getAtIndex(Layouts.F32, i);
            y.setAtIndex(Layouts.F32, i, 1f / v);
        }
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.cpu.ref.KernelFactory;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.cpu.ref.OutputCapture;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The optimizer's fused operators (domain {@code kiln}, see {@code docs/kiln-operators.md}) on
 * the Vector API kernels. A product's {@link Epilogue} carries the bias, the residual and the
 * activation, so a fused Conv or linear layer writes its output once. Where a fused node needs
 * what the vector kernels lack (non-constant weights, a bias of another shape), it runs the
 * unfused fast kernel and finishes the output in one more pass: never slower than the unfused
 * nodes. GELU's tanh form has no vector kernel; nodes using it go to the reference backend.
 */
final class FusedKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private FusedKernels() {
    }

    /** Registers the fused operators; the unfused MatMul and Gemm kernels must be registered already. */
    static void register(KernelRegistry r) {
        KernelFactory matMul = r.get("", "MatMul");
        KernelFactory gemm = r.get("", "Gemm");
        r.add("kiln", "FusedConv", b -> {
            Activation act = activation(b);
            return act == null ? null : ConvKernels.bind(b, act, b.inputCount() > 3 && !b.node().input(3).isEmpty());
        });
        r.add("kiln", "FusedMatMul", b -> fusedMatMul(b, matMul));
        r.add("kiln", "FusedGemm", b -> finished(b, gemm, null));
        r.add("kiln", "Gelu", FusedKernels::gelu);
        r.add("kiln", "SkipLayerNormalization", FusedKernels::skipLayerNorm);
        r.add("kiln", "Attention", StreamingAttention::bind);
    }

    /** The node's epilogue activation as this backend's; null for GELU's tanh form. */
    static Activation activation(BindContext b) {
        dev.kiln.ops.Activation a = dev.kiln.ops.Activation.of(b.node());
        return switch (a.kind()) {
            case NONE -> Activation.NONE;
            case RELU -> Activation.relu();
            case LEAKY_RELU -> Activation.leakyRelu(a.alpha());
            case CLIP -> Activation.clip(a.alpha(), a.beta());
            case SIGMOID -> Activation.sigmoid();
            case HARD_SIGMOID -> Activation.hardSigmoid(a.alpha(), a.beta());
            case HARD_SWISH -> Activation.hardSwish();
            case SILU -> Activation.silu(1f);
            case GELU -> Activation.gelu();
            case TANH -> Activation.tanh();
            case GELU_TANH -> null;
        };
    }

    /**
     * {@code act(A x W + bias)}: with constant 2-D weights and a constant bias (a linear layer) one
     * packed product whose epilogue adds the bias and activates each tile; otherwise the unfused
     * MatMul kernel and a finishing pass.
     */
    private static Kernel fusedMatMul(BindContext b, KernelFactory matMul) {
        Activation act = activation(b);
        if (act == null || !Float32.inputs(b, 0, 1, 2)) {
            return null;
        }
        Tensor w = b.constantInput(1);
        boolean hasBias = b.inputCount() > 2 && !b.node().input(2).isEmpty();
        Tensor bias = hasBias ? b.constantInput(2) : null;
        if (w == null || w.rank() != 2 || w.dtype() != DType.FLOAT || hasBias
                && (bias == null || bias.dtype() != DType.FLOAT || bias.size() != w.shape().dim(1))) {
            return finished(b, matMul, act);
        }
        int k = Math.toIntExact(w.shape().dim(0));
        int n = Math.toIntExact(w.shape().dim(1));
        // The same key as MatMulKernels: fused and unfused plans of one session share the panels.
        RightOperand packed = b.derived(w, "matmul-b", t -> RightOperand.prepacked(MatrixOperands.right(t.data(), 0, k, n, n, 1)));
        if (packed == null) {
            return finished(b, matMul, act);
        }
        Epilogue ep = bias == null ? Epilogue.of(act) : Epilogue.of(act).withColumnBias(Float32.array(bias));
        return ctx -> {
            Tensor a = ctx.tensor(0);
            Float32.require(a, "FusedMatMul input A");
            if (a.rank() < 2 || a.shape().dim(-1) != k) {
                throw new IllegalArgumentException("FusedMatMul inner dimensions differ: " + a.shape() + " x [" + k + ", "
                        + n + "]");
            }
            long[] outDims = a.shape().dims();
            outDims[outDims.length - 1] = n;
            Tensor y = ctx.allocate(0, DType.FLOAT, Shape.of(outDims));
            int rows = Math.toIntExact(a.size() / Math.max(1, k));
            if (k == 0) {
                rows = Math.toIntExact(y.size() / Math.max(1, n));
            }
            Sgemm.multiply(ctx.parallel(), MatrixOperands.left(a.data(), 0, rows, k, k, 1), packed, y.data(), 0, n, ep,
                    null, 0);
        };
    }

    /**
     * The unfused kernel {@code factory} binds for this node, then one pass adding input 2 along
     * the last axis (a FusedMatMul's bias) and applying the node's activation. With {@code act}
     * null the node's own activation is used (FusedGemm, whose bias Gemm itself adds).
     */
    private static Kernel finished(BindContext b, KernelFactory factory, Activation act) {
        Activation a = act != null ? act : activation(b);
        Kernel product = factory == null || a == null ? null : factory.create(b);
        if (product == null) {
            return null;
        }
        boolean addBias = act != null && b.inputCount() > 2 && !b.node().input(2).isEmpty();
        return ctx -> {
            Tensor[] out = new Tensor[1];
            product.run(new OutputCapture(ctx, out));
            Tensor y = out[0];
            Float32.require(y, b.node().opType() + " output");
            long cols = y.rank() == 0 ? 1 : y.shape().dim(-1);
            float[] bias = null;
            if (addBias) {
                Tensor t = ctx.tensor(2);
                Float32.require(t, "FusedMatMul bias");
                if (t.size() != cols) {
                    throw new IllegalArgumentException("FusedMatMul bias " + t.shape() + " does not match " + y.shape());
                }
                bias = Float32.array(t);
            }
            Epilogue ep = bias == null ? Epilogue.of(a) : Epilogue.of(a).withColumnBias(bias);
            if (ep.isIdentity()) {
                return;
            }
            long rows = y.size() / Math.max(1, cols);
            int c = Math.toIntExact(cols);
            ctx.parallel().forRange(rows, Math.max(1, 4096 / Math.max(1, c)),
                    (s, e) -> ep.apply(y.data(), s * c, c, 0, (int) (e - s), 0, c, null, 0));
        };
    }

    private static Kernel gelu(BindContext b) {
        if (!Float32.inputs(b, 0) || !b.node().attrString("approximate", "none").equals("none")) {
            return null;
        }
        Activation act = Activation.gelu();
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, "Gelu input");
            Tensor y = k.allocate(0, DType.FLOAT, x.shape());
            UnaryKernels.split(k.parallel(), x.size(), (s, e) -> act.apply(x.data(), s, y.data(), s, e - s));
        };
    }

    /**
     * {@code LayerNormalization(A + Skip)}: per row, the sum is formed (and written to output 1
     * when used) and normalized in place. Inputs of different shapes (a broadcast skip) and a
     * scale or bias that is not one value per normalized element go to the reference kernel.
     */
    private static Kernel skipLayerNorm(BindContext b) {
        if (!Float32.inputs(b, 0, 1, 2, 3)) {
            return null;
        }
        long axisAttr = b.node().attrInt("axis", -1);
        float eps = b.node().attrFloat("epsilon", 1e-5f);
        Tensor cs = b.constantInput(2);
        Tensor cb = b.inputCount() > 3 ? b.constantInput(3) : null;
        boolean hasBias = b.inputCount() > 3 && !b.node().input(3).isEmpty();
        float[] constScale = cs == null ? null : Float32.array(cs);
        float[] constBias = cb == null ? null : Float32.array(cb);
        Kernel reference = Reference.kernel(b);
        return k -> {
            Tensor a = k.tensor(0);
            Tensor skip = k.tensor(1);
            Float32.require(a, "SkipLayerNormalization input");
            Float32.require(skip, "SkipLayerNormalization skip");
            int rank = a.rank();
            int axis = Shape.normalizeAxis(axisAttr, Math.max(rank, 1));
            long inner = a.shape().sizeBetween(axis, rank);
            float[] scale = constScale != null ? constScale : Float32.array(k.tensor(2));
            float[] bias = !hasBias ? null : constBias != null ? constBias : Float32.array(k.tensor(3));
            if (!a.shape().equals(skip.shape()) || scale.length != inner || bias != null && bias.length != inner
                    || inner == 0) {
                reference.run(k);
                return;
            }
            Tensor y = k.allocate(0, DType.FLOAT, a.shape());
            Tensor sum = k.hasOutput(1) ? k.allocate(1, DType.FLOAT, a.shape()) : null;
            MemorySegment dst = sum != null ? sum.data() : y.data();
            long outer = a.shape().sizeBetween(0, axis);
            int n = (int) inner;
            k.parallel().forRange(outer, Math.max(1, (1 << 13) / n), (s, e) -> {
                for (long o = s; o < e; o++) {
                    add(a.data(), skip.data(), dst, o * n, n);
                    NormalizationKernels.layerNormRow(dst, y.data(), o * n, n, scale, bias, eps);
                }
            });
        };
    }

    /** {@code dst[off, off + n) = a + b}. */
    private static void add(MemorySegment a, MemorySegment b, MemorySegment dst, long off, int n) {
        int l = S.length();
        int i = 0;
        for (; i <= n - l; i += l) {
            FloatVector.fromMemorySegment(S, a, (off + i) * 4, LE).add(FloatVector.fromMemorySegment(S, b, (off + i) * 4, LE))
                    .intoMemorySegment(dst, (off + i) * 4, LE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(Layouts.F32, off + i, a.getAtIndex(Layouts.F32, off + i) + b.getAtIndex(Layouts.F32, off + i));
        }
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.ConvGeometry;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Float32 2-D Conv with constant weights. The method is chosen per node when it is bound:
 * <ul>
 *   <li>depthwise (one filter per channel): direct, vectorized along output rows
 *       ({@link DepthwiseConv});
 *   <li>otherwise, per image and group, a matrix product {@code Y = W x cols(X)} through
 *       {@link Sgemm} with the weights packed once: a 1x1 convolution that reads every pixel
 *       once uses the input itself as the right operand, any other window packs
 *       image-to-column panels on the fly ({@link Im2col}), or on wide images copies them from a
 *       padded, phase-split copy of the input ({@link PaddedIm2col});
 *   <li>3x3, stride 1, undilated, ungrouped with enough channels: Winograd F(2x2, 3x3)
 *       ({@link WinogradConv}).
 * </ul>
 * The bias and an activation ride in the product's {@link Epilogue}, so fused operators can
 * reuse {@link #bind}. Other ranks, non-constant weights and other types are refused.
 */
public final class ConvKernels {
    private ConvKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(b -> bind(b, Activation.NONE, false), "Conv");
    }

    /**
     * A Conv kernel for the node being bound (inputs X, W, optional B, attributes as ONNX Conv)
     * whose output goes through {@code act}, after adding input 3 (a residual of the output's
     * shape) when {@code residual}; null when this backend does not handle the node.
     */
    public static Kernel bind(BindContext b, Activation act, boolean residual) {
        Tensor w = b.constantInput(1);
        boolean hasBias = b.inputCount() > 2 && !b.node().input(2).isEmpty();
        Tensor bias = hasBias ? b.constantInput(2) : null;
        if (!Float32.inputs(b, 0, 1, 2) || w == null || w.rank() != 4 || hasBias && bias == null) {
            return null;
        }
        int group = Math.toIntExact(b.node().attrInt("group", 1));
        int m = Math.toIntExact(w.shape().dim(0));
        int cg = Math.toIntExact(w.shape().dim(1));
        long[] kernelShape = b.node().attrInts("kernel_shape");
        long[] kSp = kernelShape != null ? kernelShape : new long[] {w.shape().dim(2), w.shape().dim(3)};
        if (group <= 0 || m % group != 0 || kSp.length != 2 || kSp[0] != w.shape().dim(2) || kSp[1] != w.shape().dim(3)) {
            return null;
        }
        float[] biasValues = bias == null ? null : Float32.array(bias);
        if (biasValues != null && biasValues.length != m) {
            return null;
        }
        int mg = m / group;
        if (group > 1 && cg == 1 && mg == 1) {
            float[] weights = b.derived(w, "f32", Float32::array);
            return ctx -> depthwise(ctx, kSp, group, weights, biasValues, act, residual);
        }
        if (group == 1 && kSp[0] == 3 && kSp[1] == 3 && allOnes(b.node().attrInts("strides"))
                && allOnes(b.node().attrInts("dilations")) && WinogradConv.suits(m, cg, spatialSize(b))) {
            WinogradConv wino = b.derived(w, "conv-winograd", t -> WinogradConv.of(Float32.array(t), m, cg));
            Epilogue e = Epilogue.of(act);
            Epilogue ep = biasValues == null ? e : e.withRowBias(biasValues);
            if (wino != null) {
                return ctx -> winograd(ctx, kSp, m, cg, wino, ep, residual);
            }
        }
        int depth = Math.toIntExact(cg * kSp[0] * kSp[1]);
        LeftOperand[] packed = b.derived(w, "conv-w/group=" + group, t -> packGroups(t, group, mg, depth));
        if (packed == null) {
            return null;
        }
        Epilogue[] epilogues = new Epilogue[group];
        for (int gi = 0; gi < group; gi++) {
            Epilogue e = Epilogue.of(act);
            epilogues[gi] = biasValues == null ? e : e.withRowBias(Arrays.copyOfRange(biasValues, gi * mg, (gi + 1) * mg));
        }
        return ctx -> gemm(ctx, kSp, group, cg, mg, packed, epilogues, residual);
    }

    /** The weights of each group packed as a left operand (mg x depth); null when one does not fit the heap. */
    private static LeftOperand[] packGroups(Tensor w, int group, int mg, int depth) {
        LeftOperand[] packed = new LeftOperand[group];
        for (int gi = 0; gi < group; gi++) {
            packed[gi] = LeftOperand.prepacked(MatrixOperands.left(w.data(), (long) gi * mg * depth, mg, depth, depth, 1));
            if (packed[gi] == null) {
                return null;
            }
        }
        return packed;
    }

    /** The residual (input 3) of a fused convolution, checked against the output's shape. */
    private static MemorySegment residual(KernelContext ctx, Tensor y) {
        Tensor z = ctx.tensor(3);
        Float32.require(z, "Conv residual");
        if (!z.shape().equals(y.shape())) {
            throw new IllegalArgumentException("Conv residual " + z.shape() + " does not match the output " + y.shape());
        }
        return z.data();
    }

    /** Height times width of the input when its type says so, else -1. */
    private static long spatialSize(BindContext b) {
        if (b.inputType(0) instanceof ValueType.TensorType t && t.shape() != null && t.shape().rank() == 4
                && t.shape().dim(2).isKnown() && t.shape().dim(3).isKnown()) {
            return t.shape().dim(2).value() * t.shape().dim(3).value();
        }
        return -1;
    }

    private static boolean allOnes(long[] values) {
        return values == null || Arrays.stream(values).allMatch(v -> v == 1);
    }

    /** The window of this call, from the input's spatial size. */
    private static ConvShape shape(KernelContext ctx, Tensor x, long[] kSp) {
        long[] inSp = Arrays.copyOfRange(x.shape().dims(), 2, x.rank());
        return ConvShape.of(ConvGeometry.of(ctx.node(), inSp, kSp, false));
    }

    private static Tensor input(KernelContext ctx, int channels) {
        Tensor x = ctx.tensor(0);
        Float32.require(x, "Conv input X");
        if (x.rank() != 4 || x.shape().dim(1) != channels) {
            throw new IllegalArgumentException("Conv input " + x.shape() + " does not match weights with "
                    + channels + " input channels");
        }
        return x;
    }

    private static void gemm(KernelContext ctx, long[] kSp, int group, int cg, int mg, LeftOperand[] w, Epilogue[] ep,
                             boolean residual) {
        Tensor x = input(ctx, cg * group);
        ConvShape g = shape(ctx, x, kSp);
        int batch = Math.toIntExact(x.shape().dim(0));
        int c = cg * group;
        int m = mg * group;
        Tensor y = ctx.allocate(0, x.dtype(), Shape.of(batch, m, g.outH(), g.outW()));
        MemorySegment xs = x.data();
        MemorySegment ys = y.data();
        MemorySegment zs = residual ? residual(ctx, y) : null;
        if (g.isPointwise()) {
            for (int n = 0; n < batch; n++) {
                long xImage = (long) n * c * g.inPlane();
                for (int gi = 0; gi < group; gi++) {
                    RightOperand cols = MatrixOperands.right(xs, xImage + (long) gi * cg * g.inPlane(), cg, g.inPlane(),
                            g.inPlane(), 1);
                    long yOff = ((long) n * m + (long) gi * mg) * g.outPlane();
                    Sgemm.multiply(ctx.parallel(), w[gi], cols, ys, yOff, g.outPlane(), ep[gi], zs, yOff);
                }
            }
        } else if (PaddedIm2col.worthIt(g)) {
            padded(ctx, xs, ys, zs, batch, g, group, cg, mg, w, ep);
        } else {
            exact(ctx, xs, ys, zs, batch, g, group, cg, mg, w, ep);
        }
    }

    /**
     * Through {@link PaddedIm2col}: the product's rows are {@code rowLen} wide, so unless that
     * is the output width they land in scratch and are compacted into Y, with the epilogue
     * applied there. {@code zs}, when not null, is the residual (Y's layout).
     */
    private static void padded(KernelContext ctx, MemorySegment xs, MemorySegment ys, MemorySegment zs, int batch,
                               ConvShape g, int group, int cg, int mg, LeftOperand[] w, Epilogue[] ep) {
        int c = cg * group;
        int m = mg * group;
        int len = PaddedIm2col.rowLen(g);
        long[] offsets = PaddedIm2col.offsets(cg, g);
        long groupSize = cg * PaddedIm2col.channelSize(g);
        MemorySegment prepared = ctx.scratch(PaddedIm2col.size(c, g) * 4);
        boolean direct = len == g.outW();
        long wide = (long) g.outH() * len;
        MemorySegment tmp = direct ? null : ctx.scratch(mg * wide * 4);
        for (int n = 0; n < batch; n++) {
            PaddedIm2col.prepare(ctx.parallel(), xs, (long) n * c * g.inPlane(), c, g, prepared);
            for (int gi = 0; gi < group; gi++) {
                RightOperand cols = new PaddedIm2col(prepared, gi * groupSize, offsets, g);
                long yOff = ((long) n * m + (long) gi * mg) * g.outPlane();
                if (direct) {
                    Sgemm.multiply(ctx.parallel(), w[gi], cols, ys, yOff, g.outPlane(), ep[gi], zs, yOff);
                    continue;
                }
                Sgemm.multiply(ctx.parallel(), w[gi], cols, tmp, 0, wide, Epilogue.NONE, null, 0);
                Epilogue e = ep[gi];
                ctx.parallel().forRange(mg, Math.max(1, 16384 / Math.max(1, g.outPlane())), (s, end) -> {
                    for (long r = s; r < end; r++) {
                        long yRow = yOff + r * g.outPlane();
                        for (int oh = 0; oh < g.outH(); oh++) {
                            MemorySegment.copy(tmp, (r * wide + (long) oh * len) * 4, ys,
                                    (yRow + (long) oh * g.outW()) * 4, g.outW() * 4L);
                        }
                        if (!e.isIdentity() || zs != null) {
                            e.apply(ys, yRow, g.outPlane(), (int) r, 1, 0, g.outPlane(), zs, yRow);
                        }
                    }
                });
            }
        }
    }

    /** Through {@link Im2col}: panels packed from the input (or its phase split) column by column. */
    private static void exact(KernelContext ctx, MemorySegment xs, MemorySegment ys, MemorySegment zs, int batch,
                              ConvShape g, int group, int cg, int mg, LeftOperand[] w, Epilogue[] ep) {
        int c = cg * group;
        int m = mg * group;
        boolean split = g.strideW() > 1;
        MemorySegment phases = split ? ctx.scratch(Im2col.splitSize(c, g) * 4) : null;
        for (int n = 0; n < batch; n++) {
            long xImage = (long) n * c * g.inPlane();
            if (split) {
                Im2col.splitPhases(ctx.parallel(), xs, xImage, c, g, phases);
            }
            for (int gi = 0; gi < group; gi++) {
                RightOperand cols = split ? new Im2col(phases, gi * (Im2col.splitSize(cg, g)), cg, g)
                        : new Im2col(xs, xImage + (long) gi * cg * g.inPlane(), cg, g);
                long yOff = ((long) n * m + (long) gi * mg) * g.outPlane();
                Sgemm.multiply(ctx.parallel(), w[gi], cols, ys, yOff, g.outPlane(), ep[gi], zs, yOff);
            }
        }
    }

    private static void winograd(KernelContext ctx, long[] kSp, int m, int c, WinogradConv wino, Epilogue ep,
                                 boolean residual) {
        Tensor x = input(ctx, c);
        ConvShape g = shape(ctx, x, kSp);
        int batch = Math.toIntExact(x.shape().dim(0));
        Tensor y = ctx.allocate(0, x.dtype(), Shape.of(batch, m, g.outH(), g.outW()));
        MemorySegment zs = residual ? residual(ctx, y) : null;
        wino.run(ctx.parallel(), x.data(), y.data(), batch, g, ep, zs, ctx.scratch(wino.scratchFloats(g) * 4));
    }

    /** {@code y = act(y + z)} over {@code planes} planes of {@code plane} elements. */
    private static void addAndActivate(KernelContext ctx, MemorySegment y, MemorySegment z, long planes, int plane,
                                       Activation act) {
        Epilogue ep = Epilogue.of(act);
        ctx.parallel().forRange(planes, 1, (s, e) -> {
            for (long p = s; p < e; p++) {
                ep.apply(y, p * plane, plane, 0, 1, 0, plane, z, p * plane);
            }
        });
    }

    private static void depthwise(KernelContext ctx, long[] kSp, int channels, float[] w, float[] bias, Activation act,
                                  boolean residual) {
        Tensor x = input(ctx, channels);
        ConvShape g = shape(ctx, x, kSp);
        int batch = Math.toIntExact(x.shape().dim(0));
        Tensor y = ctx.allocate(0, x.dtype(), Shape.of(batch, channels, g.outH(), g.outW()));
        if (!residual) {
            DepthwiseConv.run(ctx.parallel(), x.data(), y.data(), batch * channels, channels, g, w, bias, act);
            return;
        }
        // The depthwise loop has no residual: add it and activate in one more pass per plane.
        MemorySegment zs = residual(ctx, y);
        DepthwiseConv.run(ctx.parallel(), x.data(), y.data(), batch * channels, channels, g, w, bias, Activation.NONE);
        addAndActivate(ctx, y.data(), zs, (long) batch * channels, Math.toIntExact(g.outPlane()), act);
    }
}

package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.ConvGeometry;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
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
 *       image-to-column panels on the fly ({@link Im2col}).
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
            float[] weights = Float32.array(w);
            return ctx -> depthwise(ctx, kSp, group, weights, biasValues, act, residual);
        }
        LeftOperand[] packed = new LeftOperand[group];
        Epilogue[] epilogues = new Epilogue[group];
        int depth = Math.toIntExact(cg * kSp[0] * kSp[1]);
        for (int gi = 0; gi < group; gi++) {
            packed[gi] = LeftOperand.prepacked(MatrixOperands.left(w.data(), (long) gi * mg * depth, mg, depth, depth, 1));
            if (packed[gi] == null) {
                return null;
            }
            Epilogue e = Epilogue.of(act);
            epilogues[gi] = biasValues == null ? e : e.withRowBias(Arrays.copyOfRange(biasValues, gi * mg, (gi + 1) * mg));
        }
        return ctx -> gemm(ctx, kSp, group, cg, mg, packed, epilogues, residual);
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
        boolean pointwise = g.isPointwise();
        boolean split = !pointwise && g.strideW() > 1;
        MemorySegment phases = split ? ctx.scratch(Im2col.splitSize(c, g) * 4) : null;
        for (int n = 0; n < batch; n++) {
            long xImage = (long) n * c * g.inPlane();
            if (split) {
                Im2col.splitPhases(ctx.parallel(), xs, xImage, c, g, phases);
            }
            for (int gi = 0; gi < group; gi++) {
                RightOperand cols;
                if (pointwise) {
                    cols = MatrixOperands.right(xs, xImage + (long) gi * cg * g.inPlane(), cg, g.inPlane(), g.inPlane(), 1);
                } else if (split) {
                    cols = new Im2col(phases, gi * (Im2col.splitSize(cg, g)), cg, g);
                } else {
                    cols = new Im2col(xs, xImage + (long) gi * cg * g.inPlane(), cg, g);
                }
                long yOff = ((long) n * m + (long) gi * mg) * g.outPlane();
                Sgemm.multiply(ctx.parallel(), w[gi], cols, ys, yOff, g.outPlane(), ep[gi], zs, yOff);
            }
        }
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
        Epilogue ep = Epilogue.of(act);
        int plane = Math.toIntExact(g.outPlane());
        ctx.parallel().forRange((long) batch * channels, 1, (s, e) -> {
            for (long p = s; p < e; p++) {
                ep.apply(y.data(), p * plane, plane, 0, 1, 0, plane, zs, p * plane);
            }
        });
    }
}

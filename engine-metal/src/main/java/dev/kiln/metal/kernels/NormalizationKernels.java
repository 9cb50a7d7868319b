package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;

/** LayerNormalization (float, with its optional Mean and InvStdDev outputs) on {@code kiln_layer_norm_f32}. */
final class NormalizationKernels {
    private static final int THREADS = 256;

    private NormalizationKernels() {
    }

    static void register(MetalKernels r) {
        r.onnx(NormalizationKernels::layerNorm, "LayerNormalization");
    }

    private static Kernel layerNorm(BindContext ctx) {
        Node node = ctx.node();
        if (!StaticShapes.allFloat(ctx) || node.attrInt("stash_type", 1) != 1) {
            return null;
        }
        for (int o = 1; o < ctx.node().outputs().size(); o++) {
            if (!node.outputs().get(o).isEmpty() && StaticShapes.outType(ctx, o) != dev.kiln.tensor.DType.FLOAT) {
                return null;
            }
        }
        long[] x = StaticShapes.in(ctx, 0);
        if (x.length == 0) {
            return null;
        }
        int axis = StaticShapes.axis(node.attrInt("axis", -1), x.length);
        long rows = StaticShapes.product(x, 0, axis);
        long len = StaticShapes.product(x, axis, x.length);
        long[] normalized = java.util.Arrays.copyOfRange(x, axis, x.length);
        boolean hasBias = ctx.inputCount() > 2 && node.hasInput(2);
        long scaleStride = stride(StaticShapes.in(ctx, 1), normalized);
        long biasStride = hasBias ? stride(StaticShapes.in(ctx, 2), normalized) : 0;
        if (rows == 0 || len == 0 || scaleStride < 0 || biasStride < 0 || !StaticShapes.fitsIndex(StaticShapes.size(x))) {
            return null;
        }
        boolean mean = node.outputs().size() > 1 && !node.outputs().get(1).isEmpty();
        boolean invStd = node.outputs().size() > 2 && !node.outputs().get(2).isEmpty();
        byte[] params = new ParamStruct().i32(len, scaleStride, biasStride, hasBias ? 1 : 0, mean ? 1 : 0, invStd ? 1 : 0)
                .f32(node.attrFloat("epsilon", 1e-5f)).bytes();
        int threads = (int) Math.min(THREADS, (len + 31) / 32 * 32);
        return (MetalKernel) (q, d) -> q.dispatch(Dispatch.linear("kiln_layer_norm_f32", rows, threads)
                .buffer(0, d.input(0)).buffer(1, d.input(1)).buffer(2, hasBias ? d.input(2) : 0).buffer(3, d.output(0))
                .buffer(4, mean ? d.output(1) : 0).buffer(5, invStd ? d.output(2) : 0).bytes(6, params)
                .threadgroup(0, 4 * 32));
    }

    /** 1 when {@code p} spans the normalized dims, 0 when it is one value, -1 for other broadcasts (left to the CPU). */
    private static long stride(long[] p, long[] normalized) {
        if (StaticShapes.size(p) == 1) {
            return 0;
        }
        int lead = p.length - normalized.length;
        for (int i = 0; i < p.length; i++) {
            if (i < lead ? p[i] != 1 : p[i] != normalized[i - lead]) {
                return -1;
            }
        }
        return lead >= 0 ? 1 : -1;
    }
}

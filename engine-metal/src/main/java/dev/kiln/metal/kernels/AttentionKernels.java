package dev.kiln.metal.kernels;

import dev.kiln.backend.StaticShapes;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;

/**
 * ONNX Attention (opset 23 on) without a KV cache on {@code kiln_attention_f32}: 4-D or packed
 * 3-D inputs, grouped key/value heads, the causal mask, an additive float mask broadcast to
 * (batch, heads, queries, keys), the scale and the soft cap. Nodes with a past cache, padding
 * lengths, windows, a boolean mask or the extra outputs run on the CPU.
 */
final class AttentionKernels {
    private static final int MAX_V = 256;

    private AttentionKernels() {
    }

    static void register(MetalKernels r) {
        r.onnx(AttentionKernels::attention, "Attention");
    }

    /** Strides in elements of (batch, head, position) of a 4-D or packed 3-D tensor with {@code heads} heads. */
    private static long[] strides(long[] dims, long heads) {
        if (dims.length == 4) {
            return new long[] {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3]};
        }
        long size = dims[2] / heads;
        return new long[] {dims[1] * dims[2], size, dims[2]};
    }

    private static Kernel attention(BindContext ctx) {
        Node node = ctx.node();
        if (!StaticShapes.allFloat(ctx) || ctx.inputCount() < 3) {
            return null;
        }
        for (int i = 4; i < ctx.inputCount(); i++) {
            if (node.hasInput(i)) {
                return null;
            }
        }
        for (int o = 1; o < node.outputs().size(); o++) {
            if (!node.outputs().get(o).isEmpty()) {
                return null;
            }
        }
        if (node.attrInt("left_window_size", -1) >= 0 || node.attrInt("right_window_size", -1) >= 0
                || node.attrInt("qk_matmul_output_mode", 0) != 0) {
            return null;
        }
        long[] q = StaticShapes.in(ctx, 0);
        long[] k = StaticShapes.in(ctx, 1);
        long[] v = StaticShapes.in(ctx, 2);
        if (q.length != k.length || q.length != v.length || (q.length != 3 && q.length != 4)) {
            return null;
        }
        boolean packed = q.length == 3;
        long hq = packed ? node.attrInt("q_num_heads", 0) : q[1];
        long hkv = packed ? node.attrInt("kv_num_heads", 0) : k[1];
        if (hq <= 0 || hkv <= 0 || hq % hkv != 0 || (packed && (q[2] % hq != 0 || k[2] % hkv != 0 || v[2] % hkv != 0))) {
            return null;
        }
        long batch = q[0];
        long sq = packed ? q[1] : q[2];
        long skv = packed ? k[1] : k[2];
        long headSize = packed ? q[2] / hq : q[3];
        long vSize = packed ? v[2] / hkv : v[3];
        if (vSize > MAX_V || headSize != (packed ? k[2] / hkv : k[3]) || batch * hq * sq == 0 || skv == 0
                || !StaticShapes.fitsIndex(StaticShapes.size(q)) || !StaticShapes.fitsIndex(StaticShapes.size(k)) || !StaticShapes.fitsIndex(StaticShapes.size(v))) {
            return null;
        }
        boolean hasMask = node.hasInput(3);
        long[] maskStrides = new long[4];
        if (hasMask) {
            long[] m = StaticShapes.in(ctx, 3);
            if (m.length > 4 || !StaticShapes.fitsIndex(StaticShapes.size(m))) {
                return null;
            }
            maskStrides = StaticShapes.broadcastStrides(m, new long[] {batch, hq, sq, skv});
        }
        long[] yDims = packed ? new long[] {batch, sq, hq * vSize} : new long[] {batch, hq, sq, vSize};
        float scale = node.attribute("scale") != null ? node.attrFloat("scale", 1f) : (float) (1 / Math.sqrt(headSize));
        byte[] params = new ParamStruct().i32(strides(q, hq)).i32(strides(k, hkv)).i32(strides(v, hkv))
                .i32(strides(yDims, hq)).i32(maskStrides).i32(hq, hq / hkv, sq, skv, headSize, vSize,
                        node.attrInt("is_causal", 0) != 0 ? 1 : 0, hasMask ? 1 : 0)
                .f32(scale, node.attrFloat("softcap", 0f)).bytes();
        long[] groups = {sq, hq, batch};
        return (MetalKernel) (qu, d) -> qu.dispatch(new Dispatch("kiln_attention_f32", groups, new long[] {32, 1, 1})
                .buffer(0, d.input(0)).buffer(1, d.input(1)).buffer(2, d.input(2)).buffer(3, hasMask ? d.input(3) : 0)
                .buffer(4, d.output(0)).bytes(5, params));
    }
}

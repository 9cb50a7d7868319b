package dev.kiln.quantize;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of a float model, in plain ONNX operators that every runtime with
 * opset 11 executes:
 *
 * <ul>
 *   <li>MatMul and Gemm (transA 0) with a constant 2-D float weight: the weight is quantized
 *       symmetrically to [-127, 127] with one scale per output column, and stored as uint8 with
 *       zero point 128 (the same values: uint8 x uint8 products are exact in every runtime,
 *       while uint8 x int8 kernels built on 16-bit pair sums, such as ONNX Runtime's on CPUs
 *       without VNNI, saturate on full-range int8 weights); the
 *       activation is quantized at run time by DynamicQuantizeLinear (shared by every product
 *       that reads it), multiplied by MatMulInteger into int32, cast to float and scaled by the
 *       activation scale times the column scales. Gemm's alpha is folded into the scales and
 *       beta * C added after.</li>
 *   <li>Gather on axis 0 of a large constant 2-D float table (word embeddings): the table becomes
 *       int8 with one symmetric scale per row; the rows are gathered as int8, cast and multiplied
 *       by their gathered scales.</li>
 * </ul>
 *
 * <p>Everything else is left as it is, including products whose both operands are computed
 * (attention) and nodes inside subgraphs. The result is a new graph; the input is not changed.
 */
public final class DynamicQuantizer {
    /** Tables with fewer elements than this stay float: their saving does not pay for the nodes. */
    static final long MIN_TABLE = 1 << 16;
    /** The opset that introduced DynamicQuantizeLinear. */
    static final int MIN_OPSET = 11;

    private final Graph in;
    private final Map<String, Tensor> inits;
    private final FreshNames names;
    private final Graph.Builder out;
    private final List<Node> nodes = new ArrayList<>();
    /** Activation name to the outputs (quantized, scale, zero point) of its DynamicQuantizeLinear. */
    private final Map<String, String[]> quantized = new HashMap<>();
    /** Weight (name, transposed, alpha) to its quantized initializer and column scales. */
    private final Map<String, String[]> weights = new HashMap<>();

    private final Set<String> exclude;

    private DynamicQuantizer(Graph in, Set<String> exclude) {
        this.in = in;
        this.exclude = exclude;
        this.inits = new HashMap<>(in.initializers());
        this.out = in.toBuilder();
        this.names = new FreshNames(in);
    }

    /**
     * The graph with its linear layers and large embedding tables quantized as described above.
     *
     * @throws IllegalArgumentException when the model's default-domain opset is below 11
     */
    public static Graph quantize(Graph graph) {
        return quantize(graph, Set.of());
    }

    /**
     * As {@link #quantize(Graph)}, leaving in float the nodes named in {@code exclude} and the
     * nodes whose operator type it names (the layers that lose too much accuracy in 8 bits).
     *
     * @throws IllegalArgumentException when the model's default-domain opset is below 11
     */
    public static Graph quantize(Graph graph, Set<String> exclude) {
        int opset = graph.opset(Node.ONNX_DOMAIN);
        if (opset < MIN_OPSET) {
            throw new IllegalArgumentException("dynamic quantization needs opset " + MIN_OPSET
                    + " or later (DynamicQuantizeLinear); the model imports opset " + opset);
        }
        return new DynamicQuantizer(graph, Set.copyOf(exclude)).run();
    }

    private Graph run() {
        for (Node n : in.nodes()) {
            boolean keep = exclude.contains(n.name()) || exclude.contains(n.opType()) || !n.domain().isEmpty();
            if (keep || !linear(n) && !gather(n)) {
                nodes.add(n);
            }
        }
        QuantizedGraphs.dropUnreadWeights(in, nodes, out);
        return out.nodes(nodes).build();
    }

    // ------------------------------------------------------------------ MatMul, Gemm

    private boolean linear(Node n) {
        boolean gemm = n.opType().equals("Gemm");
        if (!gemm && !n.opType().equals("MatMul") || n.inputs().size() < 2) {
            return false;
        }
        Tensor w = inits.get(n.input(1));
        if (w == null || w.dtype() != DType.FLOAT || w.rank() != 2 || w.size() == 0) {
            return false;
        }
        boolean transB = gemm && n.attrInt("transB", 0) != 0;
        float alpha = gemm ? n.attrFloat("alpha", 1f) : 1f;
        float beta = gemm ? n.attrFloat("beta", 1f) : 1f;
        if (gemm && n.attrInt("transA", 0) != 0) {
            return false;
        }
        String[] wNames = weights.computeIfAbsent(n.input(1) + "/" + transB + "/" + alpha,
                key -> quantizeColumns(n.input(1), w, transB, alpha));
        String wq = wNames[0];
        String ws = wNames[1];
        String wz = wNames[2];
        String base = n.name().isEmpty() ? n.outputs().get(0) : n.name();
        String[] a = quantizedActivation(n.input(0));
        String acc = fresh(base + "_int32");
        String accF = fresh(base + "_float");
        String s = fresh(base + "_scale");
        nodes.add(node("MatMulInteger", List.of(a[0], wq, a[2], wz), acc));
        nodes.add(node("Cast", List.of(acc), accF, new Attribute.IntAttr("to", DType.FLOAT.code())));
        nodes.add(node("Mul", List.of(a[1], ws), s));
        boolean bias = gemm && n.inputs().size() > 2 && n.hasInput(2) && beta != 0f;
        String product = bias ? fresh(base + "_product") : n.outputs().get(0);
        nodes.add(node("Mul", List.of(accF, s), product));
        if (bias) {
            String c = n.input(2);
            if (beta != 1f) {
                String b = fresh(base + "_beta");
                out.initializer(b, Tensor.ofFloats(new long[0], beta));
                String scaled = fresh(base + "_bias");
                nodes.add(node("Mul", List.of(c, b), scaled));
                c = scaled;
            }
            nodes.add(node("Add", List.of(product, c), n.outputs().get(0)));
        }
        return true;
    }

    /**
     * W (K x N, or N x K when transposed) as K x N symmetric 8-bit values stored as uint8 with
     * zero point 128, one scale per column (times alpha); returns the names of the values,
     * scales and zero point.
     */
    private String[] quantizeColumns(String name, Tensor w, boolean transB, float alpha) {
        int k = Math.toIntExact(w.shape().dim(transB ? 1 : 0));
        int cols = Math.toIntExact(w.shape().dim(transB ? 0 : 1));
        byte[] q = new byte[k * cols];
        float[] scale = new float[cols];
        for (int j = 0; j < cols; j++) {
            float max = 0;
            for (int p = 0; p < k; p++) {
                max = Math.max(max, Math.abs(w.getFloat(transB ? (long) j * k + p : (long) p * cols + j)));
            }
            scale[j] = max / 127f;
            for (int p = 0; p < k; p++) {
                q[p * cols + j] = (byte) (symmetric(w.getFloat(transB ? (long) j * k + p : (long) p * cols + j), scale[j]) + 128);
            }
            scale[j] *= alpha;
        }
        String wq = fresh(name + "_quantized");
        String ws = fresh(name + "_scale");
        String wz = fresh(name + "_zero_point");
        out.initializer(wq, Tensor.ofBytes(DType.UINT8, new long[] {k, cols}, q));
        out.initializer(ws, Tensor.ofFloats(new long[] {cols}, scale));
        out.initializer(wz, Tensor.ofBytes(DType.UINT8, new long[0], new byte[] {(byte) 128}));
        return new String[] {wq, ws, wz};
    }

    /** round(v / scale) in [-127, 127], half to even; 0 for a zero scale (an all-zero column). */
    private static byte symmetric(float v, float scale) {
        return scale == 0 ? 0 : (byte) Math.max(-127, Math.min(127, Math.rint(v / scale)));
    }

    /** The DynamicQuantizeLinear outputs for an activation, added before its first quantized reader. */
    private String[] quantizedActivation(String x) {
        return quantized.computeIfAbsent(x, v -> {
            String[] o = {fresh(v + "_quantized"), fresh(v + "_scale"), fresh(v + "_zero_point")};
            nodes.add(new Node(fresh(v + "_DynamicQuantizeLinear"), "DynamicQuantizeLinear", Node.ONNX_DOMAIN,
                    List.of(v), List.of(o), List.of()));
            return o;
        });
    }

    // ------------------------------------------------------------------ Gather

    private boolean gather(Node n) {
        if (!n.opType().equals("Gather") || n.attrInt("axis", 0) != 0 || n.inputs().size() != 2) {
            return false;
        }
        Tensor table = inits.get(n.input(0));
        if (table == null || table.dtype() != DType.FLOAT || table.rank() != 2 || table.size() < MIN_TABLE
                || inits.containsKey(n.input(1))) {
            return false;
        }
        int rows = Math.toIntExact(table.shape().dim(0));
        int width = Math.toIntExact(table.shape().dim(1));
        byte[] q = new byte[rows * width];
        float[] scale = new float[rows];
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int c = 0; c < width; c++) {
                max = Math.max(max, Math.abs(table.getFloat((long) r * width + c)));
            }
            scale[r] = max / 127f;
            for (int c = 0; c < width; c++) {
                float v = table.getFloat((long) r * width + c);
                q[r * width + c] = symmetric(v, scale[r]);
            }
        }
        String base = n.name().isEmpty() ? n.outputs().get(0) : n.name();
        String tq = fresh(n.input(0) + "_quantized");
        String ts = fresh(n.input(0) + "_scale");
        out.initializer(tq, Tensor.ofBytes(DType.INT8, new long[] {rows, width}, q));
        // [rows, 1]: the gathered scales broadcast along each gathered row.
        out.initializer(ts, Tensor.ofFloats(new long[] {rows, 1}, scale));
        String g = fresh(base + "_int8");
        String gf = fresh(base + "_float");
        String gs = fresh(base + "_row_scale");
        nodes.add(node("Gather", List.of(tq, n.input(1)), g));
        nodes.add(node("Cast", List.of(g), gf, new Attribute.IntAttr("to", DType.FLOAT.code())));
        nodes.add(node("Gather", List.of(ts, n.input(1)), gs));
        nodes.add(node("Mul", List.of(gf, gs), n.outputs().get(0)));
        return true;
    }

    // ------------------------------------------------------------------ names

    private Node node(String op, List<String> inputs, String output, Attribute... attrs) {
        return new Node(fresh(output + "_" + op), op, Node.ONNX_DOMAIN, inputs, List.of(output), List.of(attrs));
    }

    private String fresh(String base) {
        return names.fresh(base);
    }
}

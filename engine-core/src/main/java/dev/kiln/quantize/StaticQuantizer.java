package dev.kiln.quantize;

import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Static int8 quantization of a float model in the QDQ form: the model keeps its float operators
 * and gains QuantizeLinear/DequantizeLinear pairs that say which values are 8-bit, so any ONNX
 * runtime runs it, and one with integer kernels can run the quantized islands in int8.
 *
 * <ul>
 *   <li>The first input of each Conv, MatMul and Gemm whose weight is a constant float tensor
 *       (the activation) passes through QuantizeLinear then DequantizeLinear, uint8 with a scale
 *       and zero point from its calibrated range ({@link Calibrator}); one pair per activation,
 *       shared by all its readers.</li>
 *   <li>The weight becomes int8, symmetric in [-127, 127], one scale per output channel (Conv's
 *       axis 0, MatMul's columns, Gemm's columns of B or rows of B^T), dequantized by
 *       DequantizeLinear with {@code axis} from opset 13; before 13 DequantizeLinear is per
 *       tensor only, so the weight is dequantized by Cast and a Mul by its per-channel scales,
 *       which every opset has. Biases stay float.</li>
 * </ul>
 *
 * <p>The written model imports opset 11 or later ({@link #MIN_OPSET}). A model importing an older
 * default opset is moved to 11 when none of its operators changed form on the way (Slice,
 * Upsample, TopK, Clip, Pad and Resize did), and refused otherwise. Weights held by Constant
 * nodes are quantized like initializers (the nodes become initializers).
 */
public final class StaticQuantizer {
    /**
     * The opset a quantized model imports at least. QuantizeLinear appears in 10, but ONNX
     * Runtime's optimizer adds opset-11 operators (Round) to a QDQ model's biases and then
     * rejects an opset-10 model, so 11.
     */
    static final int MIN_OPSET = 11;
    /** DequantizeLinear takes per-axis scales from opset 13. */
    static final int PER_AXIS_OPSET = 13;
    /** Operators whose inputs or attributes changed form between opsets 9 and 11. */
    private static final Set<String> CHANGED_BY_11 = Set.of("Slice", "Upsample", "TopK", "Clip", "Pad", "Resize");

    private final Graph in;
    private final Map<String, Calibrator.Range> ranges;
    private final Set<String> exclude;
    private final Map<String, Tensor> inits;
    private final FreshNames names;
    private final Graph.Builder out;
    private final List<Node> nodes = new ArrayList<>();
    private final int opset;
    /** Activation name to its dequantized copy. */
    private final Map<String, String> dequantized = new HashMap<>();
    /** Weight (name, axis) to its dequantized copy. */
    private final Map<String, String> weights = new HashMap<>();

    private StaticQuantizer(Graph in, Map<String, Calibrator.Range> ranges, Set<String> exclude, int opset) {
        this.in = in;
        this.ranges = ranges;
        this.exclude = exclude;
        this.opset = opset;
        this.inits = new HashMap<>(in.initializers());
        this.out = in.toBuilder().opset("", opset);
        this.names = new FreshNames(in);
    }

    /**
     * The activations {@link #quantize} puts through QuantizeLinear: the first input of every
     * Conv, MatMul and Gemm with a constant float weight, outside {@code exclude} (node names or
     * operator types). These are the tensors to calibrate.
     */
    public static Set<String> activations(Graph graph, Set<String> exclude) {
        Set<String> r = new LinkedHashSet<>();
        Graph g = constantsAsInitializers(graph);
        for (Node n : g.nodes()) {
            if (quantizable(g.initializers(), n, exclude)) {
                r.add(n.input(0));
            }
        }
        return r;
    }

    /**
     * The graph in QDQ form, as described above.
     *
     * @param ranges a calibrated range for every name of {@link #activations}
     * @throws IllegalArgumentException when an activation has no range, or the model's opset is
     *                                  below 10 and it uses an operator that changed at 10
     */
    public static Graph quantize(Graph graph, Map<String, Calibrator.Range> ranges, Set<String> exclude) {
        int opset = graph.opset(Node.ONNX_DOMAIN);
        if (opset < MIN_OPSET) {
            Set<String> changed = new LinkedHashSet<>();
            for (Node n : graph.nodes()) {
                if (n.domain().isEmpty() && CHANGED_BY_11.contains(n.opType())) {
                    changed.add(n.opType());
                }
            }
            if (!changed.isEmpty()) {
                throw new IllegalArgumentException("static quantization writes QuantizeLinear (opset " + MIN_OPSET
                        + "); this model imports opset " + opset + " and uses " + String.join(", ", changed)
                        + ", which changed form by opset " + MIN_OPSET + "; export it at opset " + MIN_OPSET + " or later");
            }
            opset = MIN_OPSET;
        }
        for (String a : activations(graph, exclude)) {
            if (!ranges.containsKey(a)) {
                throw new IllegalArgumentException("no calibrated range for '" + a + "'");
            }
        }
        return new StaticQuantizer(constantsAsInitializers(graph), ranges, Set.copyOf(exclude), opset).run();
    }

    /** The graph with each Constant node holding a tensor turned into an initializer of the same name. */
    private static Graph constantsAsInitializers(Graph graph) {
        Set<String> outputs = new HashSet<>();
        for (ValueInfo v : graph.outputs()) {
            outputs.add(v.name());
        }
        Graph.Builder b = graph.toBuilder();
        List<Node> kept = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.domain().isEmpty() && n.opType().equals("Constant") && n.outputs().size() == 1
                    && n.attributes().size() == 1 && n.attribute("value") != null && !outputs.contains(n.outputs().get(0))) {
                b.initializer(n.outputs().get(0), n.attrTensor("value"));
            } else {
                kept.add(n);
            }
        }
        return b.nodes(kept).build();
    }

    private static boolean quantizable(Map<String, Tensor> inits, Node n, Set<String> exclude) {
        if (!n.domain().isEmpty() || exclude.contains(n.name()) || exclude.contains(n.opType()) || n.inputs().size() < 2
                || n.input(0).isEmpty() || inits.containsKey(n.input(0))) {
            return false;
        }
        Tensor w = inits.get(n.input(1));
        if (w == null || w.dtype() != DType.FLOAT || w.size() == 0) {
            return false;
        }
        return switch (n.opType()) {
            case "Conv" -> w.rank() >= 3;
            case "MatMul", "Gemm" -> w.rank() == 2;
            default -> false;
        };
    }

    private Graph run() {
        for (Node n : in.nodes()) {
            if (!quantizable(inits, n, exclude)) {
                nodes.add(n);
                continue;
            }
            List<String> inputs = new ArrayList<>(n.inputs());
            inputs.set(0, dequantizedActivation(n.input(0)));
            inputs.set(1, dequantizedWeight(n.input(1), axis(n)));
            nodes.add(n.withIo(inputs, n.outputs()));
        }
        QuantizedGraphs.dropUnreadWeights(in, nodes, out);
        return out.nodes(nodes).build();
    }

    /** The weight axis that indexes output channels. */
    private static int axis(Node n) {
        return switch (n.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> n.attrInt("transB", 0) != 0 ? 0 : 1;
            default -> 1;
        };
    }

    /** QuantizeLinear then DequantizeLinear on an activation, with its calibrated uint8 parameters. */
    private String dequantizedActivation(String x) {
        return dequantized.computeIfAbsent(x, v -> {
            Calibrator.Range r = ranges.get(v);
            float scale = (r.max() - r.min()) / 255f;
            if (!(scale > 0) || Float.isInfinite(scale)) {
                scale = 1f;
            }
            int zero = (int) Math.max(0, Math.min(255, Math.rint(-r.min() / scale)));
            String s = fresh(v + "_scale");
            String z = fresh(v + "_zero_point");
            out.initializer(s, Tensor.ofFloats(new long[0], scale));
            out.initializer(z, Tensor.ofBytes(DType.UINT8, new long[0], new byte[] {(byte) zero}));
            String q = fresh(v + "_quantized");
            String dq = fresh(v + "_dequantized");
            nodes.add(new Node(fresh(v + "_QuantizeLinear"), "QuantizeLinear", Node.ONNX_DOMAIN, List.of(v, s, z),
                    List.of(q), List.of()));
            nodes.add(new Node(fresh(v + "_DequantizeLinear"), "DequantizeLinear", Node.ONNX_DOMAIN, List.of(q, s, z),
                    List.of(dq), List.of()));
            return dq;
        });
    }

    /** The weight as int8 with per-channel scales along {@code axis}, and its dequantization. */
    private String dequantizedWeight(String name, int axis) {
        return weights.computeIfAbsent(name + "/" + axis, key -> {
            Tensor w = inits.get(name);
            long[] dims = w.shape().dims();
            int channels = Math.toIntExact(dims[axis]);
            long inner = 1;
            for (int d = axis + 1; d < dims.length; d++) {
                inner *= dims[d];
            }
            float[] scale = new float[channels];
            for (long i = 0; i < w.size(); i++) {
                int c = (int) (i / inner % channels);
                scale[c] = Math.max(scale[c], Math.abs(w.getFloat(i)));
            }
            for (int c = 0; c < channels; c++) {
                scale[c] /= 127f;
            }
            byte[] q = new byte[Math.toIntExact(w.size())];
            for (long i = 0; i < w.size(); i++) {
                float s = scale[(int) (i / inner % channels)];
                q[(int) i] = s == 0 ? 0 : (byte) Math.max(-127, Math.min(127, Math.rint(w.getFloat(i) / s)));
            }
            String wq = fresh(name + "_quantized");
            String ws = fresh(name + "_scale");
            String dq = fresh(name + "_dequantized");
            out.initializer(wq, Tensor.ofBytes(DType.INT8, dims, q));
            if (opset >= PER_AXIS_OPSET) {
                String wz = fresh(name + "_zero_point");
                out.initializer(ws, Tensor.ofFloats(new long[] {channels}, scale));
                out.initializer(wz, Tensor.ofBytes(DType.INT8, new long[] {channels}, new byte[channels]));
                nodes.add(new Node(fresh(name + "_DequantizeLinear"), "DequantizeLinear", Node.ONNX_DOMAIN,
                        List.of(wq, ws, wz), List.of(dq), List.of(new Attribute.IntAttr("axis", axis))));
            } else {
                // Scales shaped to broadcast along the channel axis: [channels, 1, ...] up to the rank.
                long[] scaleShape = new long[dims.length - axis];
                java.util.Arrays.fill(scaleShape, 1);
                scaleShape[0] = channels;
                String wf = fresh(name + "_float");
                out.initializer(ws, Tensor.ofFloats(scaleShape, scale));
                nodes.add(new Node(fresh(name + "_Cast"), "Cast", Node.ONNX_DOMAIN, List.of(wq), List.of(wf),
                        List.of(new Attribute.IntAttr("to", DType.FLOAT.code()))));
                nodes.add(new Node(fresh(name + "_Mul"), "Mul", Node.ONNX_DOMAIN, List.of(wf, ws), List.of(dq),
                        List.of()));
            }
            return dq;
        });
    }

    private String fresh(String base) {
        return names.fresh(base);
    }
}

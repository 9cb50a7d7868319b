package dev.kiln.tests.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a graph of standard operators from fuzzer data: a few inputs of random element types
 * and (known, symbolic or unknown) shapes, then nodes drawn from a menu, each reading values made
 * earlier (inputs, initializers, node outputs) and carrying attributes in plausible ranges with
 * the odd extreme value. Shape-like inputs (Reshape's shape, Expand's shape, Tile's repeats,
 * ConstantOfShape, Range, Slice, Resize's scales) are int64 or float initializers whose values
 * the data chooses, huge ones included, so that shape inference and the memory budget meet
 * hostile shapes. The graph's outputs are the last values made.
 */
final class RandomGraph {
    private static final int[] OPSETS = {7, 9, 11, 13, 17, 18, 21};
    private static final DType[] TYPES = {DType.FLOAT, DType.FLOAT, DType.FLOAT, DType.INT64, DType.INT32,
        DType.BOOL, DType.DOUBLE, DType.FLOAT16, DType.UINT8, DType.INT8};
    private static final String[] UNARY = {"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf",
        "Identity", "Not", "Floor", "Ceil", "Reciprocal", "Sign", "IsNaN", "IsInf", "Softplus", "Sin", "Round",
        "Dropout", "GlobalAveragePool", "GlobalMaxPool", "Shape", "Size", "NonZero", "HardSwish", "Elu"};
    private static final String[] BINARY = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Equal", "Less",
        "Greater", "And", "Or", "Mod", "MatMul", "PRelu", "BitwiseAnd", "Sum", "Mean"};

    private final FuzzedDataProvider data;
    private final Graph.Builder b = Graph.builder().name("fuzz");
    private final List<String> values = new ArrayList<>();
    private int counter;

    private RandomGraph(FuzzedDataProvider data) {
        this.data = data;
    }

    /** A graph made from {@code data}. */
    static Graph build(FuzzedDataProvider data) {
        return new RandomGraph(data).make();
    }

    private Graph make() {
        b.opset("", data.pickValue(OPSETS));
        int inputs = data.consumeInt(1, 3);
        for (int i = 0; i < inputs; i++) {
            String name = "in" + i;
            b.addInput(new ValueInfo(name, ValueType.tensor(data.pickValue(TYPES), shape())));
            values.add(name);
        }
        int nodes = data.consumeInt(1, 8);
        for (int i = 0; i < nodes && data.remainingBytes() > 0; i++) {
            node();
        }
        int outputs = Math.min(values.size(), data.consumeInt(1, 2));
        for (int i = 0; i < outputs; i++) {
            b.addOutput(new ValueInfo(values.get(values.size() - 1 - i), null));
        }
        return b.build();
    }

    private SymbolicShape shape() {
        int kind = data.consumeInt(0, 5);
        if (kind == 0) {
            return null;
        }
        int rank = data.consumeInt(0, 4);
        List<Dim> dims = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            int k = data.consumeInt(0, 9);
            dims.add(k == 0 ? Dim.symbol("s" + data.consumeInt(0, 1)) : k == 1 ? Dim.UNKNOWN
                    : Dim.of(data.consumeInt(0, 5)));
        }
        return SymbolicShape.of(dims);
    }

    private String pick() {
        return values.get(data.consumeInt(0, values.size() - 1));
    }

    private String fresh() {
        return "v" + counter++;
    }

    /** An int64 initializer of 0 to 4 elements whose values are small, negative or huge. */
    private String longs(int maxLength) {
        int n = data.consumeInt(0, maxLength);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = dimValue();
        }
        String name = fresh();
        b.initializer(name, data.consumeBoolean() || n != 1 ? Tensor.ofLongs(new long[] {n}, v) : Tensor.scalar(v[0]));
        return name;
    }

    private long dimValue() {
        return switch (data.consumeInt(0, 15)) {
            case 0 -> Long.MAX_VALUE;
            case 1 -> 1L << data.consumeInt(16, 62);
            case 2 -> -data.consumeInt(1, 5);
            case 3 -> Long.MIN_VALUE;
            default -> data.consumeInt(0, 6);
        };
    }

    private String floats(int maxLength) {
        int n = data.consumeInt(0, maxLength);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (data.consumeInt(0, 9)) {
                case 0 -> Float.NaN;
                case 1 -> Float.POSITIVE_INFINITY;
                case 2 -> 1e30f;
                case 3 -> -data.consumeFloat();
                default -> data.consumeInt(0, 8) * 0.5f;
            };
        }
        String name = fresh();
        b.initializer(name, n == 1 && data.consumeBoolean() ? Tensor.scalar(v[0]) : Tensor.ofFloats(new long[] {n}, v));
        return name;
    }

    private long[] ints(int maxLength) {
        long[] v = new long[data.consumeInt(0, maxLength)];
        for (int i = 0; i < v.length; i++) {
            v[i] = data.consumeInt(0, 9) == 0 ? dimValue() : data.consumeInt(-3, 4);
        }
        return v;
    }

    private void node() {
        String out = fresh();
        List<String> in = new ArrayList<>();
        List<Attribute> attrs = new ArrayList<>();
        String op;
        switch (data.consumeInt(0, 27)) {
            case 0, 1, 2 -> {
                op = data.pickValue(UNARY);
                in.add(pick());
            }
            case 3, 4, 5 -> {
                op = data.pickValue(BINARY);
                in.add(pick());
                in.add(pick());
            }
            case 6 -> {
                op = "Where";
                in.add(pick());
                in.add(pick());
                in.add(pick());
            }
            case 7 -> {
                op = "Reshape";
                in.add(pick());
                in.add(longs(4));
            }
            case 8 -> {
                op = "Expand";
                in.add(pick());
                in.add(longs(4));
            }
            case 9 -> {
                op = "Tile";
                in.add(pick());
                in.add(longs(4));
            }
            case 10 -> {
                op = "ConstantOfShape";
                in.add(data.consumeBoolean() ? longs(4) : pick());
            }
            case 11 -> {
                op = "Range";
                boolean f = data.consumeBoolean();
                for (int i = 0; i < 3; i++) {
                    String name = fresh();
                    b.initializer(name, f ? Tensor.scalar(data.consumeInt(0, 4) == 0 ? Float.MAX_VALUE
                            : data.consumeInt(-10, 10) * 0.25f) : Tensor.scalar(dimValue()));
                    in.add(name);
                }
            }
            case 12 -> {
                op = "Resize";
                in.add(pick());
                in.add("");
                in.add(floats(4));
                attrs.add(new Attribute.StringAttr("mode", data.pickValue(new String[] {"nearest", "linear", "cubic"})));
            }
            case 13 -> {
                op = "Slice";
                in.add(pick());
                in.add(longs(3));
                in.add(longs(3));
                if (data.consumeBoolean()) {
                    in.add(longs(3));
                    in.add(longs(3));
                }
            }
            case 14 -> {
                op = "Transpose";
                in.add(pick());
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntsAttr("perm", ints(4)));
                }
            }
            case 15 -> {
                op = data.pickValue(new String[] {"Concat", "Split", "Softmax", "Flatten", "ArgMax", "LogSoftmax", "Gather"});
                in.add(pick());
                if (op.equals("Concat")) {
                    in.add(pick());
                } else if (op.equals("Gather")) {
                    in.add(data.consumeBoolean() ? pick() : longs(3));
                }
                attrs.add(new Attribute.IntAttr("axis", data.consumeInt(0, 7) == 0 ? dimValue() : data.consumeInt(-4, 4)));
            }
            case 16 -> {
                op = data.pickValue(new String[] {"Squeeze", "Unsqueeze", "ReduceSum", "ReduceMean", "ReduceMax"});
                in.add(pick());
                if (data.consumeBoolean()) {
                    in.add(longs(3));
                } else {
                    attrs.add(new Attribute.IntsAttr("axes", ints(3)));
                }
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntAttr("keepdims", data.consumeInt(0, 1)));
                }
            }
            case 17 -> {
                op = data.pickValue(new String[] {"MaxPool", "AveragePool", "Conv"});
                in.add(pick());
                if (op.equals("Conv")) {
                    in.add(pick());
                }
                attrs.add(new Attribute.IntsAttr("kernel_shape", ints(3)));
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntsAttr("strides", ints(3)));
                }
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntsAttr("pads", ints(6)));
                }
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntsAttr("dilations", ints(3)));
                }
            }
            case 18 -> {
                op = "Cast";
                in.add(pick());
                attrs.add(new Attribute.IntAttr("to", data.consumeInt(0, 27)));
            }
            case 19 -> {
                op = "Gemm";
                in.add(pick());
                in.add(pick());
                if (data.consumeBoolean()) {
                    in.add(pick());
                }
                attrs.add(new Attribute.IntAttr("transA", data.consumeInt(0, 1)));
                attrs.add(new Attribute.IntAttr("transB", data.consumeInt(0, 1)));
            }
            case 20 -> {
                op = data.pickValue(new String[] {"LayerNormalization", "BatchNormalization", "InstanceNormalization"});
                int n = op.equals("BatchNormalization") ? 5 : 3;
                for (int i = 0; i < n; i++) {
                    in.add(pick());
                }
            }
            case 21 -> {
                op = "Clip";
                in.add(pick());
                if (data.consumeBoolean()) {
                    in.add(floats(1));
                    in.add(floats(1));
                }
            }
            case 22 -> {
                op = "Constant";
                attrs.add(new Attribute.TensorAttr("value", Tensor.ofLongs(new long[] {2}, dimValue(), dimValue())));
            }
            case 23 -> {
                op = "If";
                in.add(pick());
                attrs.add(new Attribute.GraphAttr("then_branch", branch(pick())));
                attrs.add(new Attribute.GraphAttr("else_branch", branch(pick())));
            }
            case 24 -> {
                op = "Pad";
                in.add(pick());
                in.add(longs(8));
                if (data.consumeBoolean()) {
                    in.add(floats(1));
                }
                attrs.add(new Attribute.StringAttr("mode", data.pickValue(new String[] {"constant", "reflect", "edge", "wrap"})));
            }
            case 25 -> {
                op = data.pickValue(new String[] {"SequenceConstruct", "SplitToSequence", "ConcatFromSequence",
                    "SequenceInsert", "SequenceAt", "SequenceLength", "SequenceErase"});
                in.add(pick());
                if (!op.equals("SequenceLength") && data.consumeBoolean()) {
                    in.add(data.consumeBoolean() ? pick() : longs(2));
                }
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntAttr("axis", data.consumeInt(-3, 3)));
                }
            }
            case 26 -> {
                op = data.pickValue(new String[] {"TopK", "OneHot", "GatherND", "ScatterND", "GatherElements",
                    "ScatterElements", "CumSum", "Trilu", "Compress", "Unique", "EyeLike", "DepthToSpace",
                    "SpaceToDepth", "ReverseSequence", "Einsum", "BitShift", "CenterCropPad", "Det", "Mod"});
                int n = data.consumeInt(1, 3);
                for (int i = 0; i < n; i++) {
                    in.add(data.consumeInt(0, 3) == 0 ? longs(4) : pick());
                }
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntAttr("axis", data.consumeInt(-3, 3)));
                }
                if (data.consumeBoolean()) {
                    attrs.add(new Attribute.IntAttr("blocksize", data.consumeInt(0, 3)));
                }
                if (op.equals("Einsum")) {
                    attrs.add(new Attribute.StringAttr("equation", data.consumeString(12)));
                }
                if (op.equals("BitShift")) {
                    attrs.add(new Attribute.StringAttr("direction", data.consumeBoolean() ? "LEFT" : "RIGHT"));
                }
            }
            default -> {
                op = data.pickValue(new String[] {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
                    "MatMulInteger", "Upsample", "ConvTranspose", "Hardmax", "LRN", "NonMaxSuppression", "RoiAlign",
                    "GridSample", "LSTM", "GRU", "RNN", "Attention", "STFT", "DFT"});
                int n = data.consumeInt(1, 3);
                for (int i = 0; i < n; i++) {
                    in.add(pick());
                }
            }
        }
        List<String> outs = new ArrayList<>(List.of(out));
        if (op.equals("Split") || op.equals("DynamicQuantizeLinear") || op.equals("Dropout") || op.equals("TopK")
                || op.equals("Unique") || op.equals("LSTM")) {
            outs.add(fresh());
        }
        b.addNode(new Node("n" + counter, op, "", in, outs, attrs));
        values.addAll(outs);
    }

    /** A branch of If that returns an outer value through Identity (a subgraph reading its scope). */
    private Graph branch(String outer) {
        String out = fresh();
        return Graph.builder().name("branch" + counter).opsets(java.util.Map.of("", 13))
                .addOutput(new ValueInfo(out, null))
                .addNode(new Node("id" + counter, "Identity", "", List.of(outer), List.of(out), List.of()))
                .build();
    }
}

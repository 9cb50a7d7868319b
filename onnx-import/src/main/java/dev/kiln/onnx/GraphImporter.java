package dev.kiln.onnx;

import dev.kiln.ModelFormatException;
import dev.kiln.ResourceLimitException;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Function;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.proto.Onnx.AttributeProto;
import dev.kiln.onnx.proto.Onnx.FunctionProto;
import dev.kiln.onnx.proto.Onnx.GraphProto;
import dev.kiln.onnx.proto.Onnx.NodeProto;
import dev.kiln.onnx.proto.Onnx.OperatorSetIdProto;
import dev.kiln.onnx.proto.Onnx.SparseTensorProto;
import dev.kiln.onnx.proto.Onnx.TensorProto;
import dev.kiln.onnx.proto.Onnx.TypeProto;
import dev.kiln.onnx.proto.Onnx.ValueInfoProto;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Maps {@code GraphProto} (and its subgraphs and functions) to engine-core {@link Graph}s. */
final class GraphImporter {
    private final TensorCodec tensors;
    private final int maxNesting;
    private Map<String, Integer> opsets = Map.of();
    private Map<String, Function> functions = Map.of();

    GraphImporter(TensorCodec tensors, int maxNesting) {
        this.tensors = tensors;
        this.maxNesting = maxNesting;
    }

    static Map<String, Integer> opsets(List<OperatorSetIdProto> imports) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (OperatorSetIdProto o : imports) {
            String d = o.getDomain().equals("ai.onnx") ? "" : o.getDomain();
            if (o.getVersion() < 0 || o.getVersion() > Integer.MAX_VALUE) {
                throw new ModelFormatException("invalid opset version " + o.getVersion() + " for domain '" + d + "'");
            }
            m.put(d, (int) o.getVersion());
        }
        return m;
    }

    Graph importModelGraph(GraphProto g, Map<String, Integer> modelOpsets, List<FunctionProto> fps) {
        this.opsets = modelOpsets;
        Map<String, Function> fs = new LinkedHashMap<>();
        for (FunctionProto fp : fps) {
            Function f = function(fp);
            fs.put(Function.key(f.domain(), f.name()), f);
        }
        this.functions = fs;
        return graph(g, 0);
    }

    private Function function(FunctionProto fp) {
        List<Node> nodes = new ArrayList<>();
        for (NodeProto n : fp.getNodeList()) {
            nodes.add(node(n, 1));
        }
        Map<String, Attribute> defaults = new HashMap<>();
        List<String> attrNames = new ArrayList<>(fp.getAttributeList());
        for (AttributeProto a : fp.getAttributeProtoList()) {
            attrNames.add(a.getName());
            defaults.put(a.getName(), attribute(a, 1, "function " + fp.getName()));
        }
        return new Function(fp.getDomain(), fp.getName(), fp.getInputList(), fp.getOutputList(), attrNames, defaults,
                nodes, opsets(fp.getOpsetImportList()));
    }

    private Graph graph(GraphProto g, int depth) {
        if (depth > maxNesting) {
            throw new ResourceLimitException("subgraphs nest deeper than " + maxNesting + " levels");
        }
        Graph.Builder b = Graph.builder().name(g.getName()).opsets(opsets).functions(functions);
        for (TensorProto t : g.getInitializerList()) {
            if (t.getName().isEmpty()) {
                throw new ModelFormatException("graph '" + g.getName() + "' has an initializer without a name");
            }
            b.initializer(t.getName(), tensors.read(t));
        }
        for (SparseTensorProto s : g.getSparseInitializerList()) {
            b.initializer(s.getValues().getName(), dense(s));
        }
        for (ValueInfoProto v : g.getInputList()) {
            b.addInput(valueInfo(v));
        }
        for (ValueInfoProto v : g.getOutputList()) {
            b.addOutput(valueInfo(v));
        }
        for (ValueInfoProto v : g.getValueInfoList()) {
            b.valueInfo(valueInfo(v));
        }
        for (NodeProto n : g.getNodeList()) {
            b.addNode(node(n, depth));
        }
        return b.build();
    }

    private static ValueInfo valueInfo(ValueInfoProto v) {
        if (v.getName().isEmpty()) {
            throw new ModelFormatException("a graph input or output has no name");
        }
        return new ValueInfo(v.getName(), v.hasType() ? TypeCodec.read(v.getType(), v.getName()) : null);
    }

    private Node node(NodeProto n, int depth) {
        if (n.getOpType().isEmpty()) {
            throw new ModelFormatException("node '" + n.getName() + "' has no op_type");
        }
        String where = "node '" + n.getName() + "' (" + n.getOpType() + ")";
        List<Attribute> attrs = new ArrayList<>();
        for (AttributeProto a : n.getAttributeList()) {
            attrs.add(attribute(a, depth, where));
        }
        return new Node(n.getName(), n.getOpType(), n.getDomain(), n.getInputList(), n.getOutputList(), attrs);
    }

    private Attribute attribute(AttributeProto a, int depth, String where) {
        String name = a.getName();
        if (!a.getRefAttrName().isEmpty()) {
            return new Attribute.RefAttr(name, a.getRefAttrName());
        }
        AttributeProto.AttributeType type = a.hasType() ? a.getType() : guessType(a);
        try {
            return switch (type) {
                case FLOAT -> new Attribute.FloatAttr(name, a.getF());
                case INT -> new Attribute.IntAttr(name, a.getI());
                case STRING -> new Attribute.StringAttr(name, a.getS().toString(StandardCharsets.UTF_8));
                case TENSOR -> new Attribute.TensorAttr(name, tensors.read(a.getT()));
                case SPARSE_TENSOR -> new Attribute.TensorAttr(name, dense(a.getSparseTensor()));
                case GRAPH -> new Attribute.GraphAttr(name, graph(a.getG(), depth + 1));
                case TYPE_PROTO -> new Attribute.TypeAttr(name, TypeCodec.read(a.getTp(), name));
                case FLOATS -> {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) {
                        f[i] = a.getFloats(i);
                    }
                    yield new Attribute.FloatsAttr(name, f);
                }
                case INTS -> {
                    long[] v = new long[a.getIntsCount()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = a.getInts(i);
                    }
                    yield new Attribute.IntsAttr(name, v);
                }
                case STRINGS -> new Attribute.StringsAttr(name, a.getStringsList().stream()
                        .map(s -> s.toString(StandardCharsets.UTF_8)).toList());
                case TENSORS -> new Attribute.TensorsAttr(name, a.getTensorsList().stream().map(tensors::read).toList());
                case SPARSE_TENSORS -> new Attribute.TensorsAttr(name, a.getSparseTensorsList().stream()
                        .map(this::dense).toList());
                case GRAPHS -> {
                    List<Graph> gs = new ArrayList<>();
                    for (GraphProto g : a.getGraphsList()) {
                        gs.add(graph(g, depth + 1));
                    }
                    yield new Attribute.GraphsAttr(name, gs);
                }
                case TYPE_PROTOS -> {
                    List<ValueType> ts = new ArrayList<>();
                    for (TypeProto t : a.getTypeProtosList()) {
                        ts.add(TypeCodec.read(t, name));
                    }
                    yield new Attribute.TypesAttr(name, ts);
                }
                case UNDEFINED -> throw new ModelFormatException("attribute '" + name + "' of " + where
                        + " has no value");
            };
        } catch (dev.kiln.KilnException e) {
            throw e.atNode(where);
        }
    }

    /** IR version 1 attributes carry no type field; the populated field tells. */
    private static AttributeProto.AttributeType guessType(AttributeProto a) {
        if (a.hasF()) {
            return AttributeProto.AttributeType.FLOAT;
        } else if (a.hasI()) {
            return AttributeProto.AttributeType.INT;
        } else if (a.hasS()) {
            return AttributeProto.AttributeType.STRING;
        } else if (a.hasT()) {
            return AttributeProto.AttributeType.TENSOR;
        } else if (a.hasG()) {
            return AttributeProto.AttributeType.GRAPH;
        } else if (a.getFloatsCount() > 0) {
            return AttributeProto.AttributeType.FLOATS;
        } else if (a.getIntsCount() > 0) {
            return AttributeProto.AttributeType.INTS;
        } else if (a.getStringsCount() > 0) {
            return AttributeProto.AttributeType.STRINGS;
        } else if (a.getTensorsCount() > 0) {
            return AttributeProto.AttributeType.TENSORS;
        } else if (a.getGraphsCount() > 0) {
            return AttributeProto.AttributeType.GRAPHS;
        }
        return AttributeProto.AttributeType.UNDEFINED;
    }

    /** Expands a sparse tensor (COO indices, flat or per-dimension) into a dense one. */
    private Tensor dense(SparseTensorProto s) {
        String name = s.getValues().getName();
        Tensor values = tensors.read(s.getValues());
        long[] dims = new long[s.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = s.getDims(i);
        }
        Shape shape;
        long bytes;
        try {
            shape = Shape.of(dims);
            // String elements live on the heap: count a reference and an object header each.
            bytes = values.dtype() == DType.STRING ? Math.multiplyExact(shape.size(), 24L)
                    : values.dtype().byteSize(shape.size());
        } catch (RuntimeException e) {
            throw new ModelFormatException("sparse tensor has invalid dims " + java.util.Arrays.toString(dims))
                    .forTensor(name);
        }
        tensors.expand(name, bytes);
        Tensor out = Tensor.allocate(values.dtype(), shape);
        long nnz = values.size();
        if (nnz == 0) {
            return out;
        }
        Tensor idx = tensors.read(s.getIndices());
        long[] strides = shape.strides();
        boolean flat = idx.rank() == 1;
        if (flat ? idx.size() != nnz : idx.rank() != 2 || idx.shape().dim(0) != nnz || idx.shape().dim(1) != dims.length) {
            throw new ModelFormatException("sparse tensor indices " + idx.shape() + " do not fit " + nnz + " values in "
                    + shape).forTensor(name);
        }
        for (long k = 0; k < nnz; k++) {
            long pos = 0;
            if (flat) {
                pos = idx.getLong(k);
            } else {
                for (int d = 0; d < dims.length; d++) {
                    long i = idx.getLong(k * dims.length + d);
                    if (i < 0 || i >= dims[d]) {
                        throw new ModelFormatException("sparse index out of range").forTensor(name);
                    }
                    pos += i * strides[d];
                }
            }
            if (pos < 0 || pos >= shape.size()) {
                throw new ModelFormatException("sparse index " + pos + " out of range").forTensor(name);
            }
            if (values.dtype() == DType.STRING) {
                out.setString(pos, values.getString(k));
            } else {
                long w = values.dtype().bits() / 8;
                java.lang.foreign.MemorySegment.copy(values.data(), k * w, out.data(), pos * w, w);
            }
        }
        return out;
    }
}

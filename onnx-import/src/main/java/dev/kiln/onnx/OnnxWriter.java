package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Function;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.proto.Onnx;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes an engine-core {@link Graph} as an ONNX model: for models Kiln produces (quantized or
 * optimized graphs) and for tests that build graphs in code. Tensors are written as
 * {@code raw_data}.
 */
public final class OnnxWriter {
    /** The IR version Kiln writes. */
    public static final long IR_VERSION = 10;

    private OnnxWriter() {
    }

    /** Writes {@code graph} (with its opsets and functions) to {@code file}. */
    public static void write(Graph graph, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            toProto(graph).writeTo(out);
        }
    }

    /** The model's bytes. */
    public static byte[] toBytes(Graph graph) {
        return toProto(graph).toByteArray();
    }

    static Onnx.ModelProto toProto(Graph graph) {
        Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("kiln")
                .setGraph(graph(graph));
        for (Map.Entry<String, Integer> e : graph.opsets().entrySet()) {
            m.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        }
        for (Function f : graph.functions().values()) {
            m.addFunctions(function(f));
        }
        return m.build();
    }

    private static Onnx.GraphProto graph(Graph g) {
        Onnx.GraphProto.Builder b = Onnx.GraphProto.newBuilder().setName(g.name());
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            b.addInitializer(TensorCodec.write(e.getKey(), e.getValue()));
        }
        for (ValueInfo v : g.inputs()) {
            b.addInput(valueInfo(v));
        }
        for (ValueInfo v : g.outputs()) {
            b.addOutput(valueInfo(v));
        }
        for (ValueInfo v : g.valueInfo().values()) {
            b.addValueInfo(valueInfo(v));
        }
        for (Node n : g.nodes()) {
            b.addNode(node(n));
        }
        return b.build();
    }

    private static Onnx.FunctionProto function(Function f) {
        Onnx.FunctionProto.Builder b = Onnx.FunctionProto.newBuilder().setDomain(f.domain()).setName(f.name())
                .addAllInput(f.inputs()).addAllOutput(f.outputs());
        for (String a : f.attributeNames()) {
            Attribute def = f.attributeDefaults().get(a);
            if (def == null) {
                b.addAttribute(a);
            } else {
                b.addAttributeProto(attribute(def));
            }
        }
        for (Node n : f.nodes()) {
            b.addNode(node(n));
        }
        f.opsets().forEach((d, v) -> b.addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
        return b.build();
    }

    private static Onnx.NodeProto node(Node n) {
        Onnx.NodeProto.Builder b = Onnx.NodeProto.newBuilder().setName(n.name()).setOpType(n.opType())
                .setDomain(n.domain()).addAllInput(n.inputs()).addAllOutput(n.outputs());
        for (Attribute a : n.attributes().values()) {
            b.addAttribute(attribute(a));
        }
        return b.build();
    }

    private static Onnx.AttributeProto attribute(Attribute a) {
        Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(a.name());
        switch (a) {
            case Attribute.FloatAttr x -> b.setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(x.value());
            case Attribute.IntAttr x -> b.setType(Onnx.AttributeProto.AttributeType.INT).setI(x.value());
            case Attribute.StringAttr x -> b.setType(Onnx.AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFromUtf8(x.value()));
            case Attribute.TensorAttr x -> b.setType(Onnx.AttributeProto.AttributeType.TENSOR)
                    .setT(TensorCodec.write("", x.value()));
            case Attribute.GraphAttr x -> b.setType(Onnx.AttributeProto.AttributeType.GRAPH).setG(graph(x.value()));
            case Attribute.TypeAttr x -> b.setType(Onnx.AttributeProto.AttributeType.TYPE_PROTO).setTp(type(x.value()));
            case Attribute.FloatsAttr x -> {
                b.setType(Onnx.AttributeProto.AttributeType.FLOATS);
                for (float f : x.values()) {
                    b.addFloats(f);
                }
            }
            case Attribute.IntsAttr x -> {
                b.setType(Onnx.AttributeProto.AttributeType.INTS);
                for (long i : x.values()) {
                    b.addInts(i);
                }
            }
            case Attribute.StringsAttr x -> {
                b.setType(Onnx.AttributeProto.AttributeType.STRINGS);
                x.values().forEach(s -> b.addStrings(ByteString.copyFromUtf8(s)));
            }
            case Attribute.TensorsAttr x -> {
                b.setType(Onnx.AttributeProto.AttributeType.TENSORS);
                x.values().forEach(t -> b.addTensors(TensorCodec.write("", t)));
            }
            case Attribute.GraphsAttr x -> {
                b.setType(Onnx.AttributeProto.AttributeType.GRAPHS);
                x.values().forEach(g -> b.addGraphs(graph(g)));
            }
            case Attribute.TypesAttr x -> {
                b.setType(Onnx.AttributeProto.AttributeType.TYPE_PROTOS);
                x.values().forEach(t -> b.addTypeProtos(type(t)));
            }
            case Attribute.RefAttr x -> b.setRefAttrName(x.refName());
        }
        return b.build();
    }

    private static Onnx.ValueInfoProto valueInfo(ValueInfo v) {
        Onnx.ValueInfoProto.Builder b = Onnx.ValueInfoProto.newBuilder().setName(v.name());
        if (v.type() != null) {
            b.setType(type(v.type()));
        }
        return b.build();
    }

    static Onnx.TypeProto type(ValueType t) {
        return switch (t) {
            case ValueType.TensorType tt -> {
                Onnx.TypeProto.Tensor.Builder tb = Onnx.TypeProto.Tensor.newBuilder().setElemType(tt.dtype().code());
                if (tt.shape() != null) {
                    Onnx.TensorShapeProto.Builder sb = Onnx.TensorShapeProto.newBuilder();
                    for (Dim d : tt.shape().dims()) {
                        Onnx.TensorShapeProto.Dimension.Builder db = Onnx.TensorShapeProto.Dimension.newBuilder();
                        if (d.isKnown()) {
                            db.setDimValue(d.value());
                        } else if (d.isSymbol()) {
                            db.setDimParam(d.symbolName());
                        }
                        sb.addDim(db);
                    }
                    tb.setShape(sb);
                }
                yield Onnx.TypeProto.newBuilder().setTensorType(tb).build();
            }
            case ValueType.SequenceType s -> Onnx.TypeProto.newBuilder()
                    .setSequenceType(Onnx.TypeProto.Sequence.newBuilder().setElemType(type(s.elementType()))).build();
            case ValueType.OptionalType o -> Onnx.TypeProto.newBuilder()
                    .setOptionalType(Onnx.TypeProto.Optional.newBuilder().setElemType(type(o.elementType()))).build();
            case ValueType.MapType m -> Onnx.TypeProto.newBuilder()
                    .setMapType(Onnx.TypeProto.Map.newBuilder().setKeyType(m.keyType().code())
                            .setValueType(type(m.valueType()))).build();
        };
    }
}

package dev.kiln.tests;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.onnx.proto.Onnx;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A model of one ONNX node, built in code: run through Kiln alone (for property tests), or
 * through Kiln and ONNX Runtime on the same inputs with the outputs compared (an oracle for
 * attribute combinations the backend test suite does not cover; ONNX Runtime is the reference
 * there, never the source of an implementation).
 */
final class SingleNode {
    private final String opType;
    private final int opset;
    private final List<Onnx.AttributeProto> attributes = new ArrayList<>();
    private final List<String> inputNames = new ArrayList<>();
    private final Map<String, Tensor> inputs = new HashMap<>();
    private final List<String> outputs = new ArrayList<>();

    private SingleNode(String opType, int opset) {
        this.opType = opType;
        this.opset = opset;
    }

    /** A node of the default domain at {@code opset}. */
    static SingleNode node(String opType, int opset) {
        return new SingleNode(opType, opset);
    }

    /** Runs the model through Kiln; returns the requested outputs in order. */
    List<Tensor> runKiln() {
        try {
            Path file = Files.createTempFile("single-node", ".onnx");
            try {
                Files.write(file, model().toByteArray());
                try (Model m = Kiln.load(file); Session s = m.session(Options.defaults().threads(2))) {
                    Map<String, Value> out = s.runValues(new HashMap<>(inputs));
                    List<Tensor> r = new ArrayList<>();
                    for (String name : outputs) {
                        if (!name.isEmpty()) {
                            r.add((Tensor) out.get(name));
                        }
                    }
                    return r;
                }
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    SingleNode attr(String name, long v) {
        attributes.add(Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT)
                .setI(v).build());
        return this;
    }

    SingleNode attr(String name, float v) {
        attributes.add(Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF(v).build());
        return this;
    }

    SingleNode attr(String name, String v) {
        attributes.add(Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build());
        return this;
    }

    SingleNode attrs(String name, long... v) {
        Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        attributes.add(b.build());
        return this;
    }

    SingleNode attrs(String name, float... v) {
        Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.FLOATS);
        for (float x : v) {
            b.addFloats(x);
        }
        attributes.add(b.build());
        return this;
    }

    SingleNode attrs(String name, String... v) {
        Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.STRINGS);
        for (String x : v) {
            b.addStrings(com.google.protobuf.ByteString.copyFromUtf8(x));
        }
        attributes.add(b.build());
        return this;
    }

    /** The next input; {@code null} leaves it absent (an empty name). */
    SingleNode input(Tensor t) {
        if (t == null) {
            inputNames.add("");
        } else {
            String name = "in" + inputNames.size();
            inputNames.add(name);
            inputs.put(name, t);
        }
        return this;
    }

    /** The next output; {@code false} leaves it unrequested (an empty name). */
    SingleNode output(boolean wanted) {
        outputs.add(wanted ? "out" + outputs.size() : "");
        return this;
    }

    SingleNode outputs(int n) {
        for (int i = 0; i < n; i++) {
            output(true);
        }
        return this;
    }

    /**
     * Runs Kiln and ONNX Runtime; null when every requested output agrees within
     * {@code |k - o| <= atol + rtol |o|}, else the first difference.
     */
    String compareWithOrt(double rtol, double atol) {
        try {
            Path file = Files.createTempFile("single-node", ".onnx");
            try {
                Files.write(file, model().toByteArray());
                Map<String, Value> kiln;
                try (Model m = Kiln.load(file); Session s = m.session(Options.defaults().threads(2))) {
                    kiln = s.runValues(new HashMap<>(inputs));
                }
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
                    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
                    try (OrtSession ort = env.createSession(file.toString(), so)) {
                        Map<String, OnnxTensor> feeds = new HashMap<>();
                        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                            feeds.put(e.getKey(), toOrt(env, e.getValue()));
                        }
                        try (OrtSession.Result r = ort.run(feeds)) {
                            for (String name : outputs) {
                                if (name.isEmpty()) {
                                    continue;
                                }
                                String d = compareOne(name, r.get(name).orElse(null), kiln.get(name), rtol, atol);
                                if (d != null) {
                                    return d;
                                }
                            }
                        } finally {
                            feeds.values().forEach(OnnxTensor::close);
                        }
                    }
                }
                return null;
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ai.onnxruntime.OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private Onnx.ModelProto model() {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(opType).addAllInput(inputNames)
                .addAllOutput(outputs).addAllAttribute(attributes);
        Onnx.GraphProto.Builder g = Onnx.GraphProto.newBuilder().setName("oracle").addNode(n);
        for (String name : inputNames) {
            if (name.isEmpty()) {
                continue;
            }
            Tensor t = inputs.get(name);
            Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
            for (long d : t.shape().dims()) {
                shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
            g.addInput(Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                    .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(t.dtype().code()).setShape(shape))));
        }
        for (String name : outputs) {
            if (!name.isEmpty()) {
                g.addOutput(Onnx.ValueInfoProto.newBuilder().setName(name));
            }
        }
        return Onnx.ModelProto.newBuilder().setIrVersion(10)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(g).build();
    }

    private static String compareOne(String name, OnnxValue o, Value k, double rtol, double atol) {
        if (!(o instanceof OnnxTensor ot) || !(k instanceof Tensor kt)) {
            return name + ": ORT gave " + o + ", Kiln gave " + k;
        }
        long[] os = ot.getInfo().getShape();
        if (!java.util.Arrays.equals(os, kt.shape().dims())) {
            return name + ": shape " + java.util.Arrays.toString(os) + " from ORT, " + kt.shape() + " from Kiln";
        }
        ByteBuffer bb = ot.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) ot.getInfo().getNumElements();
        for (int i = 0; i < n; i++) {
            double ov = switch (ot.getInfo().type) {
                case FLOAT -> bb.getFloat(4 * i);
                case DOUBLE -> bb.getDouble(8 * i);
                case INT64 -> bb.getLong(8 * i);
                case INT32 -> bb.getInt(4 * i);
                case UINT8 -> bb.get(i) & 0xFF;
                case INT8 -> bb.get(i);
                default -> throw new IllegalArgumentException("unsupported output type " + ot.getInfo().type);
            };
            double kv = kt.getDouble(i);
            boolean ok = Double.isNaN(ov) ? Double.isNaN(kv) : Math.abs(kv - ov) <= atol + rtol * Math.abs(ov);
            if (!ok) {
                return name + "[" + i + "]: ORT " + ov + ", Kiln " + kv;
            }
        }
        return null;
    }

    private static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws ai.onnxruntime.OrtException {
        ByteBuffer bb = t.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] shape = t.shape().dims();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, bb.asFloatBuffer(), shape);
            case DOUBLE -> OnnxTensor.createTensor(env, bb.asDoubleBuffer(), shape);
            case INT64 -> OnnxTensor.createTensor(env, bb.asLongBuffer(), shape);
            case INT32 -> OnnxTensor.createTensor(env, bb.asIntBuffer(), shape);
            case UINT8 -> OnnxTensor.createTensor(env, bb, shape, ai.onnxruntime.OnnxJavaType.UINT8);
            case INT8 -> OnnxTensor.createTensor(env, bb, shape, ai.onnxruntime.OnnxJavaType.INT8);
            case BOOL -> OnnxTensor.createTensor(env, bb, shape, ai.onnxruntime.OnnxJavaType.BOOL);
            default -> throw new IllegalArgumentException("unsupported input type " + t.dtype());
        };
    }

    /** A float tensor of uniform values in [-1, 1). */
    static Tensor random(Random rnd, long... shape) {
        Tensor t = Tensor.allocate(DType.FLOAT, dev.kiln.tensor.Shape.of(shape));
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, rnd.nextFloat() * 2 - 1);
        }
        return t;
    }
}

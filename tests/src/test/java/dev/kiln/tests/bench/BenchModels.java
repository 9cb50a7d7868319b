package dev.kiln.tests.bench;

import com.google.protobuf.ByteString;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.onnx.proto.Onnx;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The models and inputs the comparison runs: one-node MatMul models it writes itself, and the
 * fixture models (a batch-8 copy of ResNet-50, whose file fixes the batch to 1).
 */
final class BenchModels {
    private BenchModels() {
    }

    /** TensorProto data_type codes (onnx.proto). */
    private static final int ONNX_FLOAT = 1;
    private static final int ONNX_INT64 = 7;

    /** A model, its inputs, and the target ratio (Kiln time / ONNX Runtime time) from issue 4. */
    record Case(String name, Path model, Map<String, Tensor> inputs, int batch, double target) { }

    /** Every case, in table order. */
    static List<Case> cases(Path fixtures, Path work) throws IOException {
        List<Case> r = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            r.add(caseAt(fixtures, work, i));
        }
        return r;
    }

    /** Number of cases. */
    static final int COUNT = 10;

    /** Case {@code i} alone (a cold-start child builds only its own). */
    static Case caseAt(Path fixtures, Path work, int i) throws IOException {
        Files.createDirectories(work);
        Path minilm = fixtures.resolve("minilm-l6-v2");
        Path resnet = fixtures.resolve("resnet50-randw");
        return switch (i) {
            case 0 -> matMul(work, 1024, 1024, 1024, 1.05);
            case 1 -> matMul(work, 4096, 1024, 1024, 1.05);
            case 2 -> fixture("MiniLM-L6 fp32 seq 128", minilm, minilm.resolve("model.onnx"), 1, 1.0);
            case 3 -> fixture("MiniLM-L6 fp32 seq 128", minilm, minilm.resolve("model.onnx"), 8, 1.0);
            case 4 -> fixture("ResNet-50", resnet, resnet.resolve("model.onnx"), 1, 1.0);
            case 5 -> fixture("ResNet-50", resnet, withBatch(resnet.resolve("model.onnx"), 8, work.resolve("resnet50-b8.onnx")),
                    8, 1.0);
            case 6 -> fixture("Inception-v1", fixtures.resolve("inception_v1-randw"), null, 1, 1.1);
            case 7 -> fixture("ShuffleNet", fixtures.resolve("shufflenet-randw"), null, 1, 1.1);
            case 8 -> fixture("SqueezeNet", fixtures.resolve("squeezenet-randw"), null, 1, 1.1);
            case 9 -> fixture("PaddleOCR det 640x640", fixtures.resolve("ppocr-det"), null, 1, 1.0);
            default -> throw new IllegalArgumentException("no case " + i);
        };
    }

    /**
     * A fixture model (the folder's model.onnx unless given) with its batch-1 inputs repeated
     * to the batch, read straight from the TensorProto files (no engine involved).
     */
    private static Case fixture(String name, Path dir, Path model, int batch, double target) throws IOException {
        Path file = model != null ? model : dir.resolve("model.onnx");
        if (!Files.exists(file)) {
            throw new IOException("missing fixture " + file + "; run shared/models/fetch (see README)");
        }
        Map<String, Tensor> inputs = new java.util.LinkedHashMap<>();
        for (int k = 0; ; k++) {
            Path f = dir.resolve("test_data_set_0").resolve("input_" + k + ".pb");
            if (!Files.exists(f)) {
                break;
            }
            OnnxValues.Named v = OnnxValues.read(f, null);
            Tensor t = (Tensor) v.value();
            inputs.put(v.name(), batch == 1 ? t : repeat(t, batch));
        }
        return new Case(name, file, inputs, batch, target);
    }

    /** {@code batch} copies of a batch-1 tensor stacked along axis 0. */
    private static Tensor repeat(Tensor t, int batch) {
        long[] dims = t.shape().dims();
        dims[0] *= batch;
        Tensor r = Tensor.allocate(t.dtype(), dev.kiln.tensor.Shape.of(dims));
        for (int b = 0; b < batch; b++) {
            java.lang.foreign.MemorySegment.copy(t.data(), 0, r.data(), b * t.byteSize(), t.byteSize());
        }
        return r;
    }

    /** A one-node model {@code Y = A x B} with B a constant (weights), A an M x K input. */
    private static Case matMul(Path work, int m, int k, int n, double target) throws IOException {
        String name = "MatMul " + m + "x" + k + "x" + n;
        Path file = work.resolve("matmul-" + m + "x" + k + "x" + n + ".onnx");
        Random rnd = new Random(m * 31L + n);
        if (!Files.exists(file)) {
            ByteBuffer b = ByteBuffer.allocate(k * n * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < k * n; i++) {
                b.putFloat(rnd.nextFloat() * 2 - 1);
            }
            Onnx.GraphProto g = Onnx.GraphProto.newBuilder().setName("matmul")
                    .addInput(valueInfo("A", m, k))
                    .addOutput(valueInfo("Y", m, n))
                    .addInitializer(Onnx.TensorProto.newBuilder().setName("B").addDims(k).addDims(n)
                            .setDataType(ONNX_FLOAT).setRawData(ByteString.copyFrom(b.array())))
                    .addNode(Onnx.NodeProto.newBuilder().setOpType("MatMul").addInput("A").addInput("B").addOutput("Y"))
                    .build();
            Onnx.ModelProto model = Onnx.ModelProto.newBuilder().setIrVersion(8).setProducerName("kiln-bench")
                    .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                    .setGraph(g).build();
            Files.write(file, model.toByteArray());
        }
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextFloat() * 2 - 1;
        }
        return new Case(name, file, Map.of("A", Tensor.ofFloats(new long[] {m, k}, a)), 1, target);
    }

    private static Onnx.ValueInfoProto valueInfo(String name, long... dims) {
        Onnx.TensorShapeProto.Builder s = Onnx.TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(ONNX_FLOAT)
                        .setShape(s))).build();
    }

    /**
     * A copy of a model whose inputs, outputs and Reshape targets fix the batch to 1, with the
     * batch set to {@code batch} instead (declared value types are dropped and re-inferred).
     */
    static Path withBatch(Path model, int batch, Path out) throws IOException {
        if (Files.exists(out)) {
            return out;
        }
        Onnx.ModelProto p = Onnx.ModelProto.parseFrom(Files.readAllBytes(model));
        Onnx.GraphProto.Builder g = p.getGraph().toBuilder();
        java.util.Set<String> shapes = new java.util.HashSet<>();
        for (Onnx.NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Reshape") && n.getInputCount() > 1) {
                shapes.add(n.getInput(1));
            }
        }
        for (int i = 0; i < g.getInitializerCount(); i++) {
            Onnx.TensorProto t = g.getInitializer(i);
            if (shapes.contains(t.getName()) && t.getDataType() == ONNX_INT64
                    && t.getRawData().size() >= 8) {
                ByteBuffer b = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
                if (b.getLong(0) == 1) {
                    b.putLong(0, batch);
                    g.setInitializer(i, t.toBuilder().setRawData(ByteString.copyFrom(b.array())));
                }
            }
        }
        java.util.Set<String> initializers = new java.util.HashSet<>();
        g.getInitializerList().forEach(t -> initializers.add(t.getName()));
        java.util.Set<String> computed = new java.util.HashSet<>();
        g.getNodeList().forEach(n -> computed.addAll(n.getOutputList()));
        for (int i = 0; i < g.getInputCount(); i++) {
            if (!initializers.contains(g.getInput(i).getName())) {
                g.setInput(i, rebatch(g.getInput(i), batch));
            }
        }
        for (int i = 0; i < g.getOutputCount(); i++) {
            if (computed.contains(g.getOutput(i).getName())) {
                g.setOutput(i, rebatch(g.getOutput(i), batch));
            }
        }
        g.clearValueInfo();
        Files.write(out, p.toBuilder().setGraph(g).build().toByteArray());
        return out;
    }

    private static Onnx.ValueInfoProto rebatch(Onnx.ValueInfoProto v, int batch) {
        if (!v.getType().hasTensorType() || v.getType().getTensorType().getShape().getDimCount() == 0) {
            return v;
        }
        Onnx.ValueInfoProto.Builder b = v.toBuilder();
        b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(0).setDimValue(batch);
        return b.build();
    }
}

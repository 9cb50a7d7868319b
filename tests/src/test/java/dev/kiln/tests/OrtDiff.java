package dev.kiln.tests;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.cli.CaseInputs;
import dev.kiln.onnx.proto.Onnx;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A debugging tool: exposes every intermediate float value of a model as an output, runs Kiln
 * and ONNX Runtime (no optimizations) on the same inputs, and prints the first values that
 * differ. {@code java ... OrtDiff MODEL INPUT_DIR [RTOL [ATOL]]}.
 */
public final class OrtDiff {
    private OrtDiff() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path inputs = Path.of(args[1]);
        double rtol = args.length > 2 ? Double.parseDouble(args[2]) : 1e-3;
        double atol = args.length > 3 ? Double.parseDouble(args[3]) : 1e-4;
        Onnx.ModelProto proto = Onnx.ModelProto.parseFrom(Files.readAllBytes(model));
        Onnx.GraphProto.Builder g = proto.getGraph().toBuilder();
        List<String> names = new ArrayList<>();
        java.util.Set<String> existing = new java.util.HashSet<>();
        g.getOutputList().forEach(o -> existing.add(o.getName()));
        for (Onnx.NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (!o.isEmpty() && !existing.contains(o)) {
                    g.addOutput(Onnx.ValueInfoProto.newBuilder().setName(o));
                    names.add(o);
                }
            }
        }
        Path tmp = Files.createTempFile("ortdiff", ".onnx");
        Files.write(tmp, proto.toBuilder().setGraph(g).build().toByteArray());
        Map<String, Value> kilnOut;
        Map<String, Value> in;
        try (Model m = Kiln.load(tmp); Session s = m.session(Options.defaults().passes("none"))) {
            in = CaseInputs.read(s.inputs(), inputs);
            kilnOut = s.runValues(in);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        try (OrtSession ort = env.createSession(tmp.toString(), so)) {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            for (Map.Entry<String, Value> e : in.entrySet()) {
                feeds.put(e.getKey(), toOrt(env, (Tensor) e.getValue()));
            }
            try (OrtSession.Result r = ort.run(feeds)) {
                int shown = 0;
                for (String name : names) {
                    var ov = r.get(name);
                    if (ov.isEmpty() || !(ov.get() instanceof OnnxTensor ot) || !(kilnOut.get(name) instanceof Tensor kt)) {
                        continue;
                    }
                    double[] o = ortDoubles(ot);
                    if (o == null || o.length != kt.size()) {
                        System.out.println(name + ": size differs " + (o == null ? "?" : o.length) + " vs " + kt.size());
                        continue;
                    }
                    double worst = 0;
                    long at = -1;
                    for (int i = 0; i < o.length; i++) {
                        double d = Math.abs(o[i] - kt.getDouble(i));
                        if (d > atol + rtol * Math.abs(o[i]) && d > worst) {
                            worst = d;
                            at = i;
                        }
                    }
                    if (at >= 0) {
                        System.out.println(name + " " + kt.dtype() + kt.shape() + ": max diff " + worst + " at " + at
                                + " ort=" + o[(int) at] + " kiln=" + kt.getDouble(at));
                        if (++shown >= 400) {
                            break;
                        }
                    }
                }
                System.out.println("compared " + names.size() + " values");
            }
        }
    }

    private static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws Exception {
        ByteBuffer bb = t.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] shape = t.shape().dims();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, bb.asFloatBuffer(), shape);
            case INT64 -> OnnxTensor.createTensor(env, bb.asLongBuffer(), shape);
            case INT32 -> OnnxTensor.createTensor(env, bb.asIntBuffer(), shape);
            default -> throw new IllegalArgumentException("unsupported input type " + t.dtype());
        };
    }

    private static double[] ortDoubles(OnnxTensor t) {
        ByteBuffer bb = t.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) t.getInfo().getNumElements();
        double[] r = new double[n];
        switch (t.getInfo().type) {
            case FLOAT -> { for (int i = 0; i < n; i++) { r[i] = bb.getFloat(4 * i); } }
            case INT64 -> { for (int i = 0; i < n; i++) { r[i] = bb.getLong(8 * i); } }
            case INT32 -> { for (int i = 0; i < n; i++) { r[i] = bb.getInt(4 * i); } }
            case UINT8 -> { for (int i = 0; i < n; i++) { r[i] = bb.get(i) & 0xFF; } }
            case INT8 -> { for (int i = 0; i < n; i++) { r[i] = bb.get(i); } }
            default -> { return null; }
        }
        return r;
    }
}

package dev.kiln.tests.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** One inference engine with a model loaded and its inputs bound, ready to run again and again. */
interface Engine extends AutoCloseable {
    /** Runs the model once on the bound inputs. */
    void run() throws Exception;

    @Override
    void close() throws Exception;

    /** Kiln with its default options and {@code threads} worker threads. */
    static Engine kiln(Path model, Map<String, Tensor> inputs, int threads) {
        Model m = Kiln.load(model);
        Session s = m.session(Options.defaults().threads(threads));
        return new Engine() {
            @Override
            public void run() {
                s.run(inputs);
            }

            @Override
            public void close() {
                s.close();
                m.close();
            }
        };
    }

    /**
     * ONNX Runtime through its Java API: all graph optimizations, {@code threads} intra-op
     * threads (the caller included, as in Kiln), sequential execution.
     */
    static Engine ort(Path model, Map<String, Tensor> inputs, int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        so.setIntraOpNumThreads(threads);
        so.setInterOpNumThreads(1);
        so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        OrtSession session = env.createSession(model.toString(), so);
        Map<String, OnnxTensor> feeds = new HashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            feeds.put(e.getKey(), toOrt(env, e.getValue()));
        }
        return new Engine() {
            @Override
            public void run() throws OrtException {
                session.run(feeds).close();
            }

            @Override
            public void close() throws OrtException {
                for (OnnxTensor t : feeds.values()) {
                    t.close();
                }
                session.close();
                so.close();
            }
        };
    }

    private static OnnxTensor toOrt(OrtEnvironment env, Tensor t) throws OrtException {
        ByteBuffer bb = ByteBuffer.allocateDirect(Math.toIntExact(t.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(t.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
        bb.flip();
        long[] shape = t.shape().dims();
        return switch (t.dtype()) {
            case FLOAT -> OnnxTensor.createTensor(env, bb.asFloatBuffer(), shape);
            case INT64 -> OnnxTensor.createTensor(env, bb.asLongBuffer(), shape);
            case INT32 -> OnnxTensor.createTensor(env, bb.asIntBuffer(), shape);
            default -> throw new IllegalArgumentException("unsupported input type " + t.dtype());
        };
    }
}

package dev.kiln.tests;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Session;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The two fixture models the concurrency, soak and determinism tests drive, with families of
 * distinct inputs: MiniLM (all-MiniLM-L6-v2) on token sequences of several lengths, so that
 * runs also use different shape-specialized plans, and SqueezeNet on random images.
 */
final class Workloads {
    private Workloads() {
    }

    /** A model fixture with the inputs to cycle through. */
    record Workload(String name, Path model, List<Map<String, Tensor>> inputs) {
        Model load() {
            return Kiln.load(model);
        }
    }

    /** MiniLM with {@code count} inputs of 8 to 20 tokens ([CLS] words [SEP]), attention on every token. */
    static Workload minilm(int count) {
        Path model = fixture("minilm-l6-v2");
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < count; i++) {
            int len = 8 + 4 * (i % 4);
            long[] ids = new long[len];
            ids[0] = 101;
            for (int t = 1; t < len - 1; t++) {
                ids[t] = rnd.nextInt(1996, 29612);
            }
            ids[len - 1] = 102;
            long[] mask = new long[len];
            Arrays.fill(mask, 1);
            long[] shape = {1, len};
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("input_ids", Tensor.ofLongs(shape, ids));
            in.put("attention_mask", Tensor.ofLongs(shape, mask));
            in.put("token_type_ids", Tensor.ofLongs(shape, new long[len]));
            inputs.add(in);
        }
        return new Workload("minilm-l6-v2", model, inputs);
    }

    /** SqueezeNet with {@code count} random 1x3x224x224 images. */
    static Workload squeezenet(int count) {
        Path model = fixture("squeezenet-randw");
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < count; i++) {
            float[] px = new float[3 * 224 * 224];
            for (int p = 0; p < px.length; p++) {
                px[p] = (float) rnd.nextDouble(-2, 2);
            }
            inputs.add(Map.of("data_0", Tensor.ofFloats(new long[] {1, 3, 224, 224}, px)));
        }
        return new Workload("squeezenet-randw", model, inputs);
    }

    private static Path fixture(String name) {
        Path model = TestData.models().resolve(name).resolve("model.onnx");
        if (!Files.isRegularFile(model)) {
            throw new UncheckedIOException(new IOException("no fixture " + model
                    + "; run shared/models/fetch (see README)"));
        }
        return model;
    }

    /** The bytes of every output, in order: what "bit-identical" compares. */
    static List<byte[]> bytes(Map<String, Tensor> outputs) {
        List<byte[]> r = new ArrayList<>();
        for (Tensor t : outputs.values()) {
            r.add(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        return r;
    }

    /** True when both lists hold the same bytes. */
    static boolean identical(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Runs every input once on {@code session}, from this thread. */
    static List<List<byte[]>> reference(Session session, Workload w) {
        List<List<byte[]>> r = new ArrayList<>();
        for (Map<String, Tensor> in : w.inputs()) {
            r.add(bytes(session.run(in)));
        }
        return r;
    }

    /** Writes a report line to {@code tests/target/robustness/NAME.txt} and prints it. */
    static void report(String name, String text) {
        System.out.println(text);
        try {
            Path dir = TestData.work("robustness");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".txt"), text + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

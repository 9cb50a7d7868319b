package dev.kiln;

import dev.kiln.graph.Graph;
import dev.kiln.graph.ModelData;
import dev.kiln.graph.ModelReader;
import dev.kiln.graph.ReadLimits;
import dev.kiln.ops.OpRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Entry point: load a model, then open sessions on it.
 *
 * <pre>{@code
 * try (Model model = Kiln.load(Path.of("model.onnx"));
 *      Session session = model.session(Options.defaults().threads(2))) {
 *     Map<String, Tensor> out = session.run(Map.of("input", Tensor.ofFloats(shape, data)));
 * }
 * }</pre>
 */
public final class Kiln {
    private Kiln() {
    }

    /** Loads a model with the default limits. */
    public static Model load(Path file) {
        return load(file, ReadLimits.DEFAULT);
    }

    /**
     * Loads a model. Large constant data is memory-mapped and used in place.
     *
     * @throws ModelFormatException when the file is unreadable or not a valid model
     * @throws UnsupportedOperatorException when it imports an opset newer than Kiln knows
     */
    public static Model load(Path file, ReadLimits limits) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("no such file: " + file).inModel(name);
        }
        ModelReader reader = null;
        for (ModelReader r : ServiceLoader.load(ModelReader.class, Kiln.class.getClassLoader())) {
            if (r.accepts(file)) {
                reader = r;
                break;
            }
        }
        if (reader == null) {
            throw new ModelFormatException("no model reader for this file; add dev.kiln:onnx-import").inModel(name);
        }
        ModelData data;
        try {
            data = reader.read(file, limits);
        } catch (KilnException e) {
            throw e.inModel(name);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read: " + e.getMessage(), e).inModel(name);
        } catch (OutOfMemoryError e) {
            // One failed large allocation (a huge repeated field, say); the heap itself is fine.
            throw new ResourceLimitException("reading the model needs more Java heap than is available: "
                    + e.getMessage(), e).inModel(name);
        } catch (StackOverflowError e) {
            throw new ResourceLimitException("the model nests too deeply to read", e).inModel(name);
        }
        try {
            checkOpsets(data.graph().opsets());
        } catch (KilnException e) {
            closeQuietly(data);
            throw e.inModel(name);
        }
        return new Model(name, data);
    }

    /**
     * A model from a graph built or rewritten in memory (a quantizer's calibration graph, say).
     * The graph's constants must stay valid while the model is open; closing the model releases
     * nothing of the graph's.
     *
     * @param name the name errors and logs give the model
     * @throws UnsupportedOperatorException when the graph imports an opset newer than Kiln knows
     */
    public static Model fromGraph(String name, Graph graph) {
        try {
            checkOpsets(graph.opsets());
        } catch (KilnException e) {
            throw e.inModel(name);
        }
        return new Model(name, new ModelData(graph, IN_MEMORY_IR_VERSION, "kiln", Map.of(), null));
    }

    /** The IR version a graph made in memory is given: the one the ONNX writer writes. */
    private static final long IN_MEMORY_IR_VERSION = 10;

    private static void checkOpsets(Map<String, Integer> opsets) {
        List<String> tooNew = new ArrayList<>();
        for (Map.Entry<String, Integer> e : opsets.entrySet()) {
            int max = OpRegistry.maxOpset(e.getKey());
            if (max >= 0 && e.getValue() > max) {
                tooNew.add((e.getKey().isEmpty() ? "ai.onnx" : e.getKey()) + " opset " + e.getValue()
                        + " (newest supported: " + max + ")");
            }
        }
        if (!tooNew.isEmpty()) {
            throw new UnsupportedOperatorException(tooNew);
        }
    }

    private static void closeQuietly(ModelData data) {
        if (data.resources() != null) {
            try {
                data.resources().close();
            } catch (Exception ignored) {
                // The load already failed; the original error is the one to report.
            }
        }
    }
}

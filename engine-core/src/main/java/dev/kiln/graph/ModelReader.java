package dev.kiln.graph;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a model file into a {@link ModelData}. Implementations (the ONNX importer) are found with
 * {@link java.util.ServiceLoader}, which keeps the engine core free of protobuf.
 */
public interface ModelReader {
    /** True when this reader understands the file (by name or by a peek at its bytes). */
    boolean accepts(Path file);

    /**
     * Reads the model. Errors in the file are reported as {@link dev.kiln.ModelFormatException}.
     *
     * @param file the model file
     * @param limits size limits checked before anything is allocated
     */
    ModelData read(Path file, ReadLimits limits) throws IOException;
}

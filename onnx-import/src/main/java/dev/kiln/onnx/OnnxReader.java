package dev.kiln.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.kiln.ModelFormatException;
import dev.kiln.graph.Graph;
import dev.kiln.graph.ModelData;
import dev.kiln.graph.ModelReader;
import dev.kiln.graph.ReadLimits;
import dev.kiln.onnx.proto.Onnx.ModelProto;
import dev.kiln.onnx.proto.Onnx.StringStringEntryProto;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code .onnx} files. The file is memory-mapped and parsed with protobuf aliasing, so
 * {@code raw_data} stays in the mapping: weights are never copied onto the Java heap. The mapping
 * lives until the model (and its sessions) are closed.
 */
public final class OnnxReader implements ModelReader {
    /** Protobuf messages nest at most this deep (three levels per subgraph). */
    private static final int PROTO_RECURSION_LIMIT = 200;

    @Override
    public boolean accepts(Path file) {
        return true;
    }

    @Override
    public ModelData read(Path file, ReadLimits limits) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size == 0) {
                    throw new ModelFormatException("the file is empty");
                }
                if (size > Integer.MAX_VALUE) {
                    throw new ModelFormatException("the file is " + size
                            + " bytes; ONNX protobuf files are limited to 2 GiB (larger models keep weights as external data)");
                }
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return parse(mapped, new ExternalData(file, arena), limits, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a model held in memory (without external data). Used for models built in memory
     * and by the fuzz tests.
     */
    public static ModelData parse(byte[] bytes, ReadLimits limits) {
        MemorySegment copy = Arena.ofAuto().allocate(Math.max(1, bytes.length));
        MemorySegment.copy(bytes, 0, copy, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
        return parse(copy.asSlice(0, bytes.length), null, limits, null);
    }

    private static ModelData parse(MemorySegment source, ExternalData external, ReadLimits limits,
                                   AutoCloseable resources) {
        ModelProto proto;
        try {
            // An immutable wrap plus aliasing makes bytes fields slices of the source, not heap copies.
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(source.asByteBuffer()).newCodedInput();
            in.enableAliasing(true);
            in.setRecursionLimit(PROTO_RECURSION_LIMIT);
            proto = ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException("not a valid ONNX file (protobuf: " + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException("cannot parse: " + e.getMessage(), e);
        }
        if (!proto.hasGraph()) {
            throw new ModelFormatException("not an ONNX model: it has no graph");
        }
        if (proto.getIrVersion() <= 0) {
            throw new ModelFormatException("not an ONNX model: ir_version is missing or invalid (" + proto.getIrVersion() + ")");
        }
        Map<String, Integer> opsets = GraphImporter.opsets(proto.getOpsetImportList());
        if (opsets.isEmpty()) {
            // IR version 1 and 2 files predate opset_import and mean opset 1 of the default domain.
            opsets = Map.of("", 1);
        }
        TensorCodec tensors = new TensorCodec(source, external, limits);
        Graph graph = new GraphImporter(tensors, limits.maxNesting())
                .importModelGraph(proto.getGraph(), opsets, proto.getFunctionsList());
        Map<String, String> meta = new LinkedHashMap<>();
        for (StringStringEntryProto e : proto.getMetadataPropsList()) {
            meta.put(e.getKey(), e.getValue());
        }
        String producer = (proto.getProducerName() + " " + proto.getProducerVersion()).trim();
        return new ModelData(graph, proto.getIrVersion(), producer, meta, resources);
    }
}

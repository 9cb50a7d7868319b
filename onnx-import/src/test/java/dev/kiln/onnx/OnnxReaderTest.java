package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.InvalidInputException;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Model;
import dev.kiln.ModelFormatException;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.UnsupportedOperatorException;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.proto.Onnx;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxReaderTest {
    @TempDir
    Path dir;

    /** y = x + w, with w an initializer of {@code n} floats. */
    static Graph addGraph(int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = i * 0.5f;
        }
        return Graph.builder().name("add").opset("", 17)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT, SymbolicShape.of(Dim.symbol("batch"), Dim.of(n)))))
                .addOutput(new ValueInfo("y", ValueType.tensor(DType.FLOAT)))
                .initializer("w", Tensor.ofFloats(new long[] {n}, w))
                .addNode(new Node("add", "Add", "", List.of("x", "w"), List.of("y"), List.of()))
                .build();
    }

    private Path write(Graph g) throws IOException {
        Path f = dir.resolve("model.onnx");
        OnnxWriter.write(g, f);
        return f;
    }

    @Test
    void writtenModelsLoadAndRun() throws IOException {
        try (Model m = Kiln.load(write(addGraph(3))); Session s = m.session(Options.defaults().threads(1))) {
            Tensor y = s.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6))).get("y");
            assertArrayEquals(new float[] {1, 2.5f, 4, 4, 5.5f, 7}, y.toFloatArray());
            assertEquals(List.of("x"), m.inputs().stream().map(ValueInfo::name).toList());
        }
    }

    @Test
    void rawDataStaysInTheMappedFile() throws IOException {
        try (Model m = Kiln.load(write(addGraph(1 << 16)))) {
            Tensor w = m.graph().initializers().get("w");
            assertTrue(w.data().isNative(), "weights must not be copied onto the heap");
            assertTrue(w.data().isMapped(), "weights must be read from the mapped file");
            assertEquals(0.5f * 1000, w.getFloat(1000));
        }
    }

    @Test
    void weightsReadAfterCloseFailCleanly() throws IOException {
        Tensor w;
        Session s;
        try (Model m = Kiln.load(write(addGraph(1 << 12)))) {
            w = m.graph().initializers().get("w");
            s = m.session();
        }
        // The open session keeps the mapping alive after the model is closed.
        Tensor y = s.run(Map.of("x", Tensor.ofFloats(new long[] {1, 1 << 12}, new float[1 << 12]))).get("y");
        assertEquals(0.5f * 7, y.getFloat(7));
        s.close();
        assertThrows(IllegalStateException.class, () -> w.getFloat(0));
    }

    @Test
    void inputsAreValidatedWithTheirNames() throws IOException {
        try (Model m = Kiln.load(write(addGraph(3))); Session s = m.session()) {
            KilnException e = assertThrows(InvalidInputException.class,
                    () -> s.run(Map.of("x", Tensor.ofLongs(new long[] {1, 3}, 1, 2, 3))));
            assertTrue(e.getMessage().contains("model.onnx") && e.getMessage().contains("'x'"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4))));
            assertTrue(e.getMessage().contains("rank"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", Tensor.ofFloats(new long[] {1, 2}, 1, 2))));
            assertTrue(e.getMessage().contains("dimension 1 must be 3"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> s.run(Map.of()));
            assertTrue(e.getMessage().contains("missing input"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> s.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3),
                    "z", Tensor.scalar(1f))));
            assertTrue(e.getMessage().contains("no input named 'z'"), e.getMessage());
        }
    }

    @Test
    void notOnnxFilesAreRefused() throws IOException {
        Path garbage = dir.resolve("garbage.onnx");
        Files.write(garbage, "this is not a protobuf at all, just text".getBytes());
        KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(garbage));
        assertTrue(e.getMessage().startsWith("model garbage.onnx: "), e.getMessage());
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        assertThrows(ModelFormatException.class, () -> Kiln.load(empty));
        assertThrows(ModelFormatException.class, () -> Kiln.load(dir.resolve("missing.onnx")));
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        byte[] full = OnnxWriter.toBytes(addGraph(1000));
        for (int cut : new int[] {1, 10, full.length / 2, full.length - 3}) {
            Path f = dir.resolve("cut" + cut + ".onnx");
            Files.write(f, java.util.Arrays.copyOf(full, cut));
            assertThrows(ModelFormatException.class, () -> {
                try (Model m = Kiln.load(f); Session s = m.session()) {
                    s.run(Map.of("x", Tensor.ofFloats(new long[] {1, 1000}, new float[1000])));
                }
            }, "cut at " + cut);
        }
    }

    @Test
    void tooNewOpsetsAreRefused() throws IOException {
        Graph g = addGraph(3).toBuilder().opset("", 99).build();
        KilnException e = assertThrows(UnsupportedOperatorException.class, () -> Kiln.load(write(g)));
        assertTrue(e.getMessage().contains("opset 99"), e.getMessage());
    }

    @Test
    void everyUnknownOperatorIsListedAtOnce() throws IOException {
        Graph g = Graph.builder().name("bad").opset("", 17).opset("com.example", 1)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT, Shape.of(2))))
                .addOutput(new ValueInfo("z", ValueType.tensor(DType.FLOAT)))
                .addNode(new Node("n1", "Frobnicate", "com.example", List.of("x"), List.of("y"), List.of()))
                .addNode(new Node("n2", "Twiddle", "com.example", List.of("y"), List.of("z"), List.of()))
                .build();
        try (Model m = Kiln.load(write(g))) {
            UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, m::session);
            assertEquals(2, e.operators().size(), e.getMessage());
            assertTrue(e.getMessage().contains("com.example.Frobnicate (node n1)"), e.getMessage());
            assertTrue(e.getMessage().contains("com.example.Twiddle (node n2)"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ external data

    private Path externalModel(String location, long offset, long length) throws IOException {
        Onnx.TensorProto.Builder w = Onnx.TensorProto.newBuilder().setName("w").setDataType(DType.FLOAT.code()).addDims(3)
                .setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        if (offset >= 0) {
            w.addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)));
        }
        if (length >= 0) {
            w.addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)));
        }
        Onnx.ModelProto base = OnnxWriter.toProto(addGraph(3));
        Onnx.GraphProto g = base.getGraph().toBuilder().clearInitializer().addInitializer(w).build();
        Path sub = Files.createDirectories(dir.resolve("model"));
        Path f = sub.resolve("model.onnx");
        Files.write(f, base.toBuilder().setGraph(g).build().toByteArray());
        return f;
    }

    private static byte[] floats(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    @Test
    void externalDataIsReadFromTheModelFolder() throws IOException {
        Path model = externalModel("weights.bin", 8, 12);
        byte[] data = new byte[20];
        System.arraycopy(floats(10, 20, 30), 0, data, 8, 12);
        Files.write(model.getParent().resolve("weights.bin"), data);
        try (Model m = Kiln.load(model); Session s = m.session()) {
            Tensor y = s.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3))).get("y");
            assertArrayEquals(new float[] {11, 22, 33}, y.toFloatArray());
        }
    }

    @Test
    void externalDataOutsideTheModelFolderIsRefused() throws IOException {
        Files.write(dir.resolve("secret.bin"), floats(1, 2, 3));
        for (String loc : new String[] {"../secret.bin", dir.resolve("secret.bin").toString(), "sub/../../secret.bin"}) {
            Path model = externalModel(loc, -1, -1);
            KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(model), loc);
            assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        }
    }

    @Test
    void linksLeavingTheModelFolderAreRefused() throws IOException {
        Files.write(dir.resolve("secret.bin"), floats(1, 2, 3));
        Path model = externalModel("link.bin", -1, -1);
        Files.createSymbolicLink(model.getParent().resolve("link.bin"), dir.resolve("secret.bin"));
        KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(model));
        assertTrue(e.getMessage().contains("link"), e.getMessage());
    }

    @Test
    void externalRangesBeyondTheFileAreRefused() throws IOException {
        Path model = externalModel("weights.bin", 100, 12);
        Files.write(model.getParent().resolve("weights.bin"), floats(1, 2, 3));
        assertThrows(ModelFormatException.class, () -> Kiln.load(model));
        Path model2 = externalModel("weights.bin", 4, 12);
        assertThrows(ModelFormatException.class, () -> Kiln.load(model2));
    }

    @Test
    void windowsStyleLocationsAreRefused() throws IOException {
        Files.write(dir.resolve("secret.bin"), floats(1, 2, 3));
        for (String loc : new String[] {"..\\secret.bin", "sub\\..\\..\\secret.bin", "C:\\secret.bin",
            "C:secret.bin", "\\\\server\\share\\secret.bin", "\\secret.bin", "weights.bin:stream"}) {
            Path model = externalModel(loc, -1, -1);
            KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(model), loc);
            assertTrue(e.getMessage().contains("'w'") && (e.getMessage().contains("absolute")
                    || e.getMessage().contains("leaves the model's folder")), e.getMessage());
        }
    }

    @Test
    void backslashesSeparateFoldersInsideTheModelFolder() throws IOException {
        Path model = externalModel("data\\weights.bin", -1, -1);
        Files.createDirectories(model.getParent().resolve("data"));
        Files.write(model.getParent().resolve("data").resolve("weights.bin"), floats(10, 20, 30));
        try (Model m = Kiln.load(model); Session s = m.session()) {
            Tensor y = s.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3))).get("y");
            assertArrayEquals(new float[] {11, 22, 33}, y.toFloatArray());
        }
    }

    @Test
    void locationsThatAreNotRegularFilesAreRefused() throws Exception {
        Path model = externalModel("sub", -1, -1);
        Files.createDirectories(model.getParent().resolve("sub"));
        for (String loc : new String[] {"sub", ".", "", "a\0b"}) {
            Path m = externalModel(loc, -1, -1);
            KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(m), loc);
            assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        }
        // A FIFO would block a reader that opened it: it must be refused without being opened.
        Path fifo = model.getParent().resolve("pipe.bin");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo is not available");
        Path m = externalModel("pipe.bin", -1, -1);
        KilnException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> assertThrows(ModelFormatException.class, () -> Kiln.load(m)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void badOffsetsAndLengthsAreRefused() throws IOException {
        Path model = externalModel("weights.bin", -1, -1);
        Files.write(model.getParent().resolve("weights.bin"), floats(1, 2, 3));
        long[][] cases = {{Long.MAX_VALUE, 12}, {13, -1}, {0, 16}, {0, 8}, {4, -1}};
        for (long[] c : cases) {
            Path m = externalModel("weights.bin", c[0], c[1]);
            assertThrows(ModelFormatException.class, () -> Kiln.load(m), java.util.Arrays.toString(c));
        }
        Onnx.ModelProto base = Onnx.ModelProto.parseFrom(Files.readAllBytes(model));
        Onnx.TensorProto w = base.getGraph().getInitializer(0).toBuilder()
                .addExternalData(Onnx.StringStringEntryProto.newBuilder().setKey("offset").setValue("-4")).build();
        Files.write(model, base.toBuilder().setGraph(base.getGraph().toBuilder().setInitializer(0, w)).build().toByteArray());
        KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(model));
        assertTrue(e.getMessage().contains("offset -4"), e.getMessage());
    }

    @Test
    void sparseTensorsAreExpandedOnlyWithinTheLimits() throws IOException {
        Onnx.ModelProto base = OnnxWriter.toProto(addGraph(3));
        // One value in a dense shape of 10^12 floats: a few bytes of file asking for 4 TB.
        Onnx.SparseTensorProto sparse = Onnx.SparseTensorProto.newBuilder().addDims(1_000_000).addDims(1_000_000)
                .setValues(Onnx.TensorProto.newBuilder().setName("w").setDataType(DType.FLOAT.code()).addDims(1).addFloatData(1))
                .setIndices(Onnx.TensorProto.newBuilder().setName("i").setDataType(DType.INT64.code()).addDims(1).addInt64Data(7))
                .build();
        Path f = dir.resolve("sparse.onnx");
        Files.write(f, base.toBuilder().setGraph(base.getGraph().toBuilder().clearInitializer().addSparseInitializer(sparse))
                .build().toByteArray());
        KilnException e = assertThrows(dev.kiln.ResourceLimitException.class, () -> Kiln.load(f));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        // Within the per-tensor limit but beyond what may be expanded in all.
        e = assertThrows(dev.kiln.ResourceLimitException.class,
                () -> Kiln.load(f, new dev.kiln.graph.ReadLimits(8L << 40, 8L << 40, 8, 1L << 20)));
        assertTrue(e.getMessage().contains("expanded"), e.getMessage());
    }

    @Test
    void rawDataOfTheWrongSizeIsRefused() throws IOException {
        Onnx.ModelProto base = OnnxWriter.toProto(addGraph(3));
        Onnx.TensorProto w = base.getGraph().getInitializer(0).toBuilder().setRawData(ByteString.copyFrom(new byte[7])).build();
        Path f = dir.resolve("bad.onnx");
        Files.write(f, base.toBuilder().setGraph(base.getGraph().toBuilder().setInitializer(0, w)).build().toByteArray());
        KilnException e = assertThrows(ModelFormatException.class, () -> Kiln.load(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("7 bytes"), e.getMessage());
    }
}

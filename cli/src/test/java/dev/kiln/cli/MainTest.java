package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) { }

    private static Result kiln(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Result(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private Path reluModel() throws IOException {
        Graph g = Graph.builder().name("relu").opset("", 17)
                .addInput(new ValueInfo("x", ValueType.tensor(DType.FLOAT, Shape.of(3))))
                .addOutput(new ValueInfo("y", ValueType.tensor(DType.FLOAT, Shape.of(3))))
                .addNode(new Node("r", "Relu", "", List.of("x"), List.of("y"), List.of()))
                .build();
        Path m = dir.resolve("relu.onnx");
        OnnxWriter.write(g, m);
        return m;
    }

    @Test
    void runWritesOneOutputFilePerGraphOutput() throws IOException {
        Path model = reluModel();
        Path in = Files.createDirectories(dir.resolve("in"));
        OnnxValues.write(in.resolve("input_0.pb"), "x", Tensor.ofFloats(new long[] {3}, -1, 0, 2));
        Result r = kiln("run", model.toString(), "--input-dir", in.toString(), "--output-dir", dir.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        Tensor y = (Tensor) OnnxValues.read(dir.resolve("out/output_0.pb"), null).value();
        assertEquals("y", OnnxValues.read(dir.resolve("out/output_0.pb"), null).name());
        assertEquals(List.of(0f, 0f, 2f), List.of(y.getFloat(0), y.getFloat(1), y.getFloat(2)));
    }

    @Test
    void errorsAreOneLineAndNonZero() throws IOException {
        Path bad = dir.resolve("bad.onnx");
        Files.writeString(bad, "not a model");
        Result r = kiln("inspect", bad.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("kiln: model bad.onnx: "), r.err());
        Result verbose = kiln("inspect", bad.toString(), "--verbose");
        assertTrue(verbose.err().lines().count() > 3, "--verbose shows the stack trace");
    }

    @Test
    void deviceCudaWithoutAGpuFailsWithOneLineSayingWhy() throws IOException {
        String reason = null;
        for (dev.kiln.backend.Backend b : dev.kiln.backend.Backends.all()) {
            if (b.name().equals("cuda")) {
                reason = b.unavailableReason();
            }
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(reason != null, "this machine has a usable GPU");
        Path model = reluModel();
        Path in = Files.createDirectories(dir.resolve("in"));
        OnnxValues.write(in.resolve("input_0.pb"), "x", Tensor.ofFloats(new long[] {3}, -1, 0, 2));
        Result r = kiln("run", model.toString(), "--input-dir", in.toString(), "--output-dir", dir.resolve("o").toString(),
                "--device", "cuda");
        assertEquals(1, r.code());
        assertEquals("kiln: backend 'cuda' cannot run here: " + reason, r.err().strip());
        Result cpu = kiln("run", model.toString(), "--input-dir", in.toString(), "--output-dir", dir.resolve("o").toString(),
                "--device", "cpu");
        assertEquals(0, cpu.code(), cpu.err());
    }

    @Test
    void missingInputsNameTheTensor() throws IOException {
        Path model = reluModel();
        Path in = Files.createDirectories(dir.resolve("empty"));
        Result r = kiln("run", model.toString(), "--input-dir", in.toString(), "--output-dir", dir.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tensor 'x': missing input"), r.err());
    }

    @Test
    void runBatchGoesOnAfterAFailure() throws IOException {
        Path model = reluModel();
        Path in = Files.createDirectories(dir.resolve("in"));
        OnnxValues.write(in.resolve("input_0.pb"), "x", Tensor.ofFloats(new long[] {3}, 1, 2, 3));
        Path bad = dir.resolve("broken.onnx");
        Files.write(bad, new byte[] {8, 1, 18});
        Path batch = dir.resolve("batch.tsv");
        Files.writeString(batch, bad + "\t" + in + "\t" + dir.resolve("o1") + "\n"
                + model + "\t" + in + "\t" + dir.resolve("o2") + "\n");
        Result r = kiln("run-batch", batch.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, r.code());
        assertEquals(2, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("FAIL broken.onnx: "), lines.get(0));
        assertEquals("ok relu.onnx", lines.get(1));
    }
}

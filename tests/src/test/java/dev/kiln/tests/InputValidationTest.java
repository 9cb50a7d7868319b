package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.InvalidInputException;
import dev.kiln.Kiln;
import dev.kiln.KilnException;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxWriter;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and unusual inputs through the public API: the wrong element type, rank or size fail
 * with a message naming the input; NaN and infinities propagate as IEEE arithmetic says; tensors
 * with a dimension of 0 run and give empty (or, for reductions, identity-valued) results as the
 * ONNX specification says.
 */
class InputValidationTest {
    @TempDir
    Path dir;

    private static final ValueType F_ANY = ValueType.tensor(DType.FLOAT);

    /** A one-node model {@code y = op(inputs...)}; inputs named a, b, c... */
    private Session open(String op, List<ValueType> inputs, List<Attribute> attrs) throws IOException {
        Graph.Builder b = Graph.builder().name(op).opset("", 18);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String n = String.valueOf((char) ('a' + i));
            b.addInput(new ValueInfo(n, inputs.get(i)));
            names.add(n);
        }
        b.addOutput(new ValueInfo("y", null));
        b.addNode(new Node(op.toLowerCase(), op, "", names, List.of("y"), attrs));
        Path f = dir.resolve(op + ".onnx");
        OnnxWriter.write(b.build(), f);
        Model m = Kiln.load(f);
        Session s = m.session(Options.defaults().threads(1));
        m.close();
        return s;
    }

    private static Tensor run(Session s, Tensor... in) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < in.length; i++) {
            m.put(String.valueOf((char) ('a' + i)), in[i]);
        }
        return s.run(m).get("y");
    }

    private static Tensor floats(long[] shape, float... v) {
        return Tensor.ofFloats(shape, v);
    }

    @Test
    void wrongTypesRanksAndSizesNameTheInput() throws IOException {
        ValueType batchBy3 = ValueType.tensor(DType.FLOAT, SymbolicShape.of(Dim.symbol("batch"), Dim.of(3)));
        try (Session s = open("Add", List.of(batchBy3, batchBy3), List.of())) {
            Tensor ok = floats(new long[] {1, 3}, 1, 2, 3);
            KilnException e = assertThrows(InvalidInputException.class,
                    () -> run(s, ok, Tensor.ofInts(new long[] {1, 3}, 1, 2, 3)));
            assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("int32"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> run(s, Tensor.ofStrings(Shape.of(1, 3), "x", "y", "z"), ok));
            assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains("string"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> run(s, ok, floats(new long[] {3}, 1, 2, 3)));
            assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("rank"), e.getMessage());
            e = assertThrows(InvalidInputException.class, () -> run(s, ok, floats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)));
            assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("'batch'"), e.getMessage());
        }
        // Undeclared shapes: the kernel finds the mismatch, and the message still names the node.
        try (Session s = open("MatMul", List.of(F_ANY, F_ANY), List.of())) {
            KilnException e = assertThrows(KilnException.class,
                    () -> run(s, floats(new long[] {2, 3}, new float[6]), floats(new long[] {2, 3}, new float[6])));
            assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("MatMul"), e.getMessage());
        }
    }

    @Test
    void nanAndInfinityPropagateAsIeeeArithmeticSays() throws IOException {
        float inf = Float.POSITIVE_INFINITY;
        float nan = Float.NaN;
        try (Session s = open("Add", List.of(F_ANY, F_ANY), List.of())) {
            assertArrayEquals(new float[] {nan, inf, nan}, run(s, floats(new long[] {3}, inf, inf, nan),
                    floats(new long[] {3}, -inf, 1, 1)).toFloatArray());
        }
        try (Session s = open("Mul", List.of(F_ANY, F_ANY), List.of())) {
            assertArrayEquals(new float[] {nan, -inf}, run(s, floats(new long[] {2}, 0, inf),
                    floats(new long[] {2}, inf, -1)).toFloatArray());
        }
        try (Session s = open("Relu", List.of(F_ANY), List.of())) {
            assertArrayEquals(new float[] {nan, inf, 0}, run(s, floats(new long[] {3}, nan, inf, -inf)).toFloatArray());
        }
        try (Session s = open("Sigmoid", List.of(F_ANY), List.of())) {
            assertArrayEquals(new float[] {1, 0, nan}, run(s, floats(new long[] {3}, inf, -inf, nan)).toFloatArray());
        }
        try (Session s = open("Log", List.of(F_ANY), List.of())) {
            assertArrayEquals(new float[] {-inf, nan, inf}, run(s, floats(new long[] {3}, 0, -1, inf)).toFloatArray());
        }
        try (Session s = open("Sqrt", List.of(F_ANY), List.of())) {
            assertArrayEquals(new float[] {nan, inf}, run(s, floats(new long[] {2}, -1, inf)).toFloatArray());
        }
        try (Session s = open("MatMul", List.of(F_ANY, F_ANY), List.of())) {
            // A NaN in row 0 of a spoils row 0 of y only.
            float[] y = run(s, floats(new long[] {2, 2}, nan, 1, 2, 3), floats(new long[] {2, 2}, 1, 0, 0, 1)).toFloatArray();
            assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]), java.util.Arrays.toString(y));
            assertArrayEquals(new float[] {2, 3}, new float[] {y[2], y[3]});
        }
    }

    @Test
    void emptyTensorsRunAsTheSpecificationSays() throws IOException {
        try (Session s = open("Add", List.of(F_ANY, F_ANY), List.of())) {
            Tensor y = run(s, floats(new long[] {0, 3}), floats(new long[] {3}, 1, 2, 3));
            assertEquals(Shape.of(0, 3), y.shape());
        }
        try (Session s = open("Relu", List.of(F_ANY), List.of())) {
            assertEquals(Shape.of(2, 0, 4), run(s, floats(new long[] {2, 0, 4})).shape());
        }
        try (Session s = open("MatMul", List.of(F_ANY, F_ANY), List.of())) {
            assertEquals(Shape.of(0, 2), run(s, floats(new long[] {0, 4}), floats(new long[] {4, 2}, new float[8])).shape());
            // The inner dimension is empty: each element is a sum over nothing, 0.
            Tensor y = run(s, floats(new long[] {2, 0}), floats(new long[] {0, 3}));
            assertEquals(Shape.of(2, 3), y.shape());
            assertArrayEquals(new float[6], y.toFloatArray());
        }
        Tensor axes0 = Tensor.ofLongs(new long[] {1}, 0);
        try (Session s = open("ReduceSum", List.of(F_ANY, ValueType.tensor(DType.INT64)),
                List.of(new Attribute.IntAttr("keepdims", 0)))) {
            Tensor y = run(s, floats(new long[] {0, 3}), axes0);
            assertEquals(Shape.of(3), y.shape());
            assertArrayEquals(new float[3], y.toFloatArray());
        }
        try (Session s = open("Concat", List.of(F_ANY, F_ANY), List.of(new Attribute.IntAttr("axis", 0)))) {
            Tensor y = run(s, floats(new long[] {0, 2}), floats(new long[] {1, 2}, 5, 6));
            assertArrayEquals(new float[] {5, 6}, y.toFloatArray());
        }
        try (Session s = open("Softmax", List.of(F_ANY), List.of())) {
            assertEquals(Shape.of(0, 5), run(s, floats(new long[] {0, 5})).shape());
        }
        try (Session s = open("Transpose", List.of(F_ANY), List.of())) {
            assertEquals(Shape.of(3, 0), run(s, floats(new long[] {0, 3})).shape());
        }
    }
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Session;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The types the compiler infers for a model's outputs must agree with the outputs themselves:
 * for every case in {@code expected-pass.txt}, the inferred element type and every known
 * dimension of each tensor output equal the expected output's. Inference that is wrong (rather
 * than merely unknown) would mislead kernel selection and memory planning.
 */
class InferenceConsistencyTest {

    @Test
    void inferredOutputTypesMatchTheExpectedOutputs() throws IOException {
        Map<String, ConformanceSuite.Case> all = ConformanceSuite.byId(ConformanceSuite.onnxCases());
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (String id : ConformanceSuite.expectedPass()) {
            ConformanceSuite.Case c = all.get(id);
            if (c == null || c.dataSets().isEmpty()) {
                continue;
            }
            try (Model m = Kiln.load(c.model()); Session s = m.session()) {
                List<ValueInfo> declared = m.outputs();
                List<ValueInfo> inferred = s.outputs();
                for (int k = 0; k < inferred.size(); k++) {
                    Path exp = c.dataSets().get(0).resolve("output_" + k + ".pb");
                    if (!Files.exists(exp)) {
                        continue;
                    }
                    Value v = OnnxValues.read(exp, declared.get(k).type()).value();
                    if (v instanceof Tensor t) {
                        checked++;
                        String why = disagreement(inferred.get(k).type(), t);
                        if (why != null) {
                            wrong.add(id + " output " + k + ": " + why);
                        }
                    }
                }
            }
        }
        assertTrue(checked > 0, "no outputs were checked");
        assertTrue(wrong.isEmpty(), wrong.size() + " inferred output types are wrong:\n  " + String.join("\n  ", wrong));
    }

    private static String disagreement(ValueType inferred, Tensor actual) {
        if (!(inferred instanceof ValueType.TensorType t)) {
            return "inferred " + inferred + " for a tensor";
        }
        if (t.dtype() != actual.dtype()) {
            return "inferred " + t.dtype() + ", actual " + actual.dtype();
        }
        SymbolicShape s = t.shape();
        if (s == null) {
            return null;
        }
        if (s.rank() != actual.rank()) {
            return "inferred shape " + s + ", actual " + actual.shape();
        }
        for (int i = 0; i < s.rank(); i++) {
            if (s.dim(i).isKnown() && s.dim(i).value() != actual.shape().dim(i)) {
                return "inferred shape " + s + ", actual " + actual.shape();
            }
        }
        return null;
    }
}

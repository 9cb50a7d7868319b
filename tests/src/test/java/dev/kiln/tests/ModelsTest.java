package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every float model in the fixtures folder ({@code $KILN_MODELS_DIR}) runs through
 * {@code kiln run-batch} and is compared with ONNX Runtime's outputs. The dynamically quantized
 * model is not compared elementwise (its activations are rounded to 8 bits at run time, so one
 * rounding step shows as an isolated larger error); {@link QuantizedModelTest} compares it per token.
 */
class ModelsTest {

    /** Float models must match elementwise with the fixtures' tolerance (rtol 1e-3, atol 1e-4). */
    @Test
    void floatModelsMatchOnnxRuntimeElementwise() {
        check("models");
    }

    /** The same without any optimization pass: the reference kernels of the unfused operators. */
    @Test
    void floatModelsMatchOnnxRuntimeWithoutPasses() {
        check("models-none", "--passes", "none");
    }

    private static void check(String work, String... args) {
        List<ConformanceSuite.Case> cases = ConformanceSuite.modelCases().stream().filter(c -> !quantized(c)).toList();
        assertFalse(cases.isEmpty(), "no models in " + TestData.models() + "; run shared/models/fetch (see README)");
        List<String> failures = new ArrayList<>();
        for (ConformanceSuite.Result r : ConformanceSuite.run(cases, work, args)) {
            if (!r.passed()) {
                failures.add(r.c().name() + ": " + r.reason());
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }

    private static boolean quantized(ConformanceSuite.Case c) {
        return ConformanceSuite.ops(c.model()).contains("DynamicQuantizeLinear");
    }
}

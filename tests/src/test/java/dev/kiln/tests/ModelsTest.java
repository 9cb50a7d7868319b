package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every model in the fixtures folder ({@code $KILN_MODELS_DIR}), the dynamically quantized one
 * included, runs through {@code kiln run-batch} and is compared elementwise with ONNX Runtime's
 * outputs, with all passes and with none. The quantized model matches because the fast kernels
 * sum in ONNX Runtime's order (see {@link QuantizedModelTest}, which also checks it per token).
 */
class ModelsTest {

    /** Models must match elementwise with the fixtures' tolerance (rtol 1e-3, atol 1e-4). */
    @Test
    void modelsMatchOnnxRuntimeElementwise() {
        check("models");
    }

    /** The same without any optimization pass. */
    @Test
    void modelsMatchOnnxRuntimeWithoutPasses() {
        check("models-none", "--passes", "none");
    }

    private static void check(String work, String... args) {
        List<ConformanceSuite.Case> cases = ConformanceSuite.modelCases();
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
}

package dev.kiln.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Identical inputs give identical outputs: across runs of one session, across sessions, and
 * across worker-thread counts. The reference kernels split work only over independent outputs
 * (never a sum), so their results do not depend on the thread count, and this test holds them
 * to it; for the default backends (which may split reductions) it reports the largest difference
 * it sees in {@code tests/target/robustness/determinism.txt}.
 */
class DeterminismTest {
    private static final int[] THREADS = {1, 2, 4};

    @Test
    void outputsDoNotDependOnRunsSessionsOrThreadCount() {
        Workloads.Workload w = Workloads.minilm(2);
        StringBuilder report = new StringBuilder("determinism " + w.name() + ":");
        for (String backend : new String[] {"cpu-ref", ""}) {
            List<List<byte[]>> first = null;
            List<Map<String, Tensor>> firstTensors = null;
            for (int threads : THREADS) {
                Options o = Options.defaults().threads(threads);
                if (!backend.isEmpty()) {
                    o = o.backends(backend);
                }
                try (Model model = w.load(); Session s = model.session(o)) {
                    List<List<byte[]>> once = Workloads.reference(s, w);
                    List<List<byte[]>> again = Workloads.reference(s, w);
                    for (int i = 0; i < once.size(); i++) {
                        assertTrue(Workloads.identical(once.get(i), again.get(i)),
                                "two runs of one session differ (" + (backend.isEmpty() ? "default backends" : backend)
                                        + ", threads " + threads + ", input " + i + ")");
                    }
                    List<Map<String, Tensor>> tensors = new ArrayList<>();
                    for (Map<String, Tensor> in : w.inputs()) {
                        tensors.add(s.run(in));
                    }
                    if (first == null) {
                        first = once;
                        firstTensors = tensors;
                        continue;
                    }
                    double diff = maxDiff(firstTensors, tensors);
                    boolean same = true;
                    for (int i = 0; i < once.size(); i++) {
                        same &= Workloads.identical(once.get(i), first.get(i));
                    }
                    report.append(String.format(" [%s, %d threads vs 1: %s, max |diff| %.3g]",
                            backend.isEmpty() ? "default backends" : backend, threads,
                            same ? "bit-identical" : "different", diff));
                    if (backend.equals("cpu-ref")) {
                        assertTrue(same, "the reference kernels give other results with " + threads + " threads");
                    }
                }
            }
        }
        Workloads.report("determinism", report.toString());
    }

    private static double maxDiff(List<Map<String, Tensor>> a, List<Map<String, Tensor>> b) {
        double max = 0;
        for (int i = 0; i < a.size(); i++) {
            for (String k : a.get(i).keySet()) {
                Tensor x = a.get(i).get(k);
                Tensor y = b.get(i).get(k);
                for (long e = 0; e < x.size(); e++) {
                    max = Math.max(max, Math.abs(x.getDouble(e) - y.getDouble(e)));
                }
            }
        }
        return max;
    }
}

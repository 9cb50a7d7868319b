package dev.kiln.tests;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.cli.CaseInputs;
import dev.kiln.tensor.Value;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * How much faster a model runs with all optimization passes than with none: both sessions are
 * open in the same JVM and run alternately on the fixture's inputs; the result is the ratio of
 * the medians. With one thread every kernel runs on the calling thread, so the harness also
 * reports that thread's CPU time, which other processes on a shared machine do not inflate. A
 * harness, not a test (timings belong to no unit test); {@code kiln bench --passes none|all}
 * measures one configuration per process, this one alternates both in one JVM. Run it as
 * <pre>
 * mvn -B -q -pl cli,tests -am test-compile package -DskipTests -Dkiln.fetch.skip=true
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *   -cp tests/target/test-classes:cli/target/kiln.jar dev.kiln.tests.PassesSpeedup \
 *   ROUNDS THREADS MODEL_DIR...
 * </pre>
 */
public final class PassesSpeedup {
    private PassesSpeedup() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        int threads = Integer.parseInt(args[1]);
        for (int i = 2; i < args.length; i++) {
            Path dir = Path.of(args[i]);
            try (Model m = Kiln.load(dir.resolve("model.onnx"));
                 Session none = m.session(Options.defaults().threads(threads).passes("none"));
                 Session all = m.session(Options.defaults().threads(threads))) {
                Map<String, Value> in = CaseInputs.read(none.inputs(), dir.resolve("test_data_set_0"));
                none.runValues(in);
                all.runValues(in);
                double[][] none2 = new double[2][rounds];
                double[][] all2 = new double[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    // Alternate which goes first, so drifting machine load hits both alike.
                    boolean noneFirst = r % 2 == 0;
                    double[] a = time(noneFirst ? none : all, in);
                    double[] b = time(noneFirst ? all : none, in);
                    for (int k = 0; k < 2; k++) {
                        none2[k][r] = noneFirst ? a[k] : b[k];
                        all2[k][r] = noneFirst ? b[k] : a[k];
                    }
                }
                for (int k = 0; k < 2; k++) {
                    Arrays.sort(none2[k]);
                    Arrays.sort(all2[k]);
                    double n = none2[k][rounds / 2];
                    double a = all2[k][rounds / 2];
                    // The minimum is the run least disturbed by other processes on a shared machine.
                    System.out.printf(Locale.ROOT, "%-20s %-4s passes none %8.1f ms, all %8.1f ms (medians of %d): all is"
                            + " %.2fx faster; minimums %8.1f / %8.1f ms: %.2fx%n", dir.getFileName(), k == 0 ? "wall" : "cpu",
                            n, a, rounds, n / a, none2[k][0], all2[k][0], none2[k][0] / all2[k][0]);
                    if (threads != 1) {
                        break;
                    }
                }
            }
        }
    }

    /** Wall time and the calling thread's CPU time of one run, in ms. */
    private static double[] time(Session s, Map<String, Value> in) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        s.runValues(in);
        return new double[] {(System.nanoTime() - t0) / 1e6, (mx.getCurrentThreadCpuTime() - c0) / 1e6};
    }
}

package dev.kiln.tests;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.cli.CaseInputs;
import dev.kiln.tensor.Value;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * How much faster a model runs with all optimization passes than with none: both sessions are
 * open in the same JVM and run alternately on the fixture's inputs; the result is the ratio of
 * the medians. A harness, not a test (timings belong to no unit test); until {@code kiln bench}
 * has {@code --passes none|all}, run it as
 * <pre>
 * mvn -B -q -pl tests -am test-compile -Dkiln.fetch.skip=true
 * mvn -B -q -pl tests dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *   -cp tests/target/test-classes:$(cat tests/target/cp.txt) dev.kiln.tests.PassesSpeedup \
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
                double[] tNone = new double[rounds];
                double[] tAll = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    // Alternate which goes first, so drifting machine load hits both alike.
                    boolean noneFirst = r % 2 == 0;
                    double a = time(noneFirst ? none : all, in);
                    double b = time(noneFirst ? all : none, in);
                    tNone[r] = noneFirst ? a : b;
                    tAll[r] = noneFirst ? b : a;
                }
                Arrays.sort(tNone);
                Arrays.sort(tAll);
                System.out.printf(Locale.ROOT, "%-22s passes none %9.1f ms, all %9.1f ms (medians of %d), all is %.2fx faster%n",
                        dir.getFileName(), tNone[rounds / 2], tAll[rounds / 2], rounds, tNone[rounds / 2] / tAll[rounds / 2]);
            }
        }
    }

    private static double time(Session s, Map<String, Value> in) {
        long t0 = System.nanoTime();
        s.runValues(in);
        return (System.nanoTime() - t0) / 1e6;
    }
}

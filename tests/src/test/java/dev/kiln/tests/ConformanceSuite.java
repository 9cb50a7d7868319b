package dev.kiln.tests;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.cli.Main;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.onnx.OnnxValues;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The ONNX backend test cases and the model fixtures, run through {@code kiln run-batch} and
 * compared with their expected outputs.
 */
final class ConformanceSuite {
    /** The test folders, in scoreboard order. */
    static final List<String> SUITES = List.of("node", "simple", "pytorch-converted", "pytorch-operator", "light");

    /** One case: a model and its data sets (folders of input_K.pb and output_K.pb). */
    record Case(String suite, String name, Path model, List<Path> dataSets, double rtol, double atol) {
        String id() {
            return suite + "/" + name;
        }
    }

    /** The outcome of one case. */
    record Result(Case c, boolean passed, String reason, List<String> ops) { }

    private ConformanceSuite() {
    }

    /** Every case of the ONNX backend test suites. */
    static List<Case> onnxCases() {
        Path root = TestData.onnxTests();
        List<Case> cases = new ArrayList<>();
        for (String suite : SUITES) {
            if (suite.equals("light")) {
                cases.addAll(lightCases(root));
                continue;
            }
            Path dir = root.resolve(suite);
            for (Path c : list(dir)) {
                if (Files.exists(c.resolve("model.onnx"))) {
                    cases.add(new Case(suite, c.getFileName().toString(), c.resolve("model.onnx"), dataSets(c), 1e-3, 1e-7));
                }
            }
        }
        return cases;
    }

    /** The whole-model fixtures (tolerances of shared/models/README.md). */
    static List<Case> modelCases() {
        List<Case> cases = new ArrayList<>();
        for (Path c : list(TestData.models())) {
            if (Files.exists(c.resolve("model.onnx"))) {
                cases.add(new Case("models", c.getFileName().toString(), c.resolve("model.onnx"), dataSets(c), 1e-3, 1e-4));
            }
        }
        return cases;
    }

    /**
     * The light models: the graph and expected output come from {@code light/}, the tolerances
     * from {@code real/test_NAME/data.json}. The expected outputs were computed on an all-zero
     * input, which is written here as the case's input.
     */
    private static List<Case> lightCases(Path root) {
        List<Case> cases = new ArrayList<>();
        Pattern num = Pattern.compile("\"(rtol|atol)\":\\s*([0-9.eE+-]+)");
        for (Path real : list(root.resolve("real"))) {
            Path json = real.resolve("data.json");
            if (!Files.exists(json)) {
                continue;
            }
            String name = real.getFileName().toString().replaceFirst("^test_", "");
            Path model = root.resolve("light/light_" + name + ".onnx");
            Path expected = root.resolve("light/light_" + name + "_output_0.pb");
            if (!Files.exists(model) || !Files.exists(expected)) {
                continue;
            }
            double rtol = 1e-3;
            double atol = 1e-7;
            try {
                Matcher m = num.matcher(Files.readString(json));
                while (m.find()) {
                    if (m.group(1).equals("rtol")) {
                        rtol = Double.parseDouble(m.group(2));
                    } else {
                        atol = Double.parseDouble(m.group(2));
                    }
                }
                Path data = TestData.work("light-inputs/light_" + name + "/test_data_set_0");
                Files.createDirectories(data);
                try (Model mod = Kiln.load(model)) {
                    List<ValueInfo> ins = mod.inputs();
                    for (int i = 0; i < ins.size(); i++) {
                        var tt = (dev.kiln.tensor.ValueType.TensorType) ins.get(i).type();
                        Tensor zeros = Tensor.allocate(tt.dtype(), tt.shape().toShape());
                        OnnxValues.write(data.resolve("input_" + i + ".pb"), ins.get(i).name(), zeros);
                    }
                }
                Files.copy(expected, data.resolve("output_0.pb"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                cases.add(new Case("light", "light_" + name, model, List.of(data), rtol, atol));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cases;
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> dataSets(Path caseDir) {
        try (Stream<Path> s = Files.list(caseDir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs the cases through {@code kiln run-batch} (one JVM, one batch) and compares outputs.
     *
     * @param extraArgs more run-batch options, e.g. {@code --passes none}
     */
    static List<Result> run(List<Case> cases, String workName, String... extraArgs) {
        try {
            Path work = TestData.work(workName);
            Files.createDirectories(work);
            List<String> lines = new ArrayList<>();
            List<Path> outDirs = new ArrayList<>();
            List<Integer> owner = new ArrayList<>();
            for (int ci = 0; ci < cases.size(); ci++) {
                Case c = cases.get(ci);
                for (Path ds : c.dataSets()) {
                    Path out = work.resolve(c.suite()).resolve(c.name()).resolve(ds.getFileName().toString());
                    deleteOutputs(out);
                    lines.add(c.model() + "\t" + ds + "\t" + out);
                    outDirs.add(out);
                    owner.add(ci);
                }
            }
            Path batch = work.resolve("batch.tsv");
            Files.write(batch, lines, StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>(List.of("run-batch", batch.toString(), "--threads", "2"));
            args.addAll(List.of(extraArgs));
            List<String> printed = runCapturing(args.toArray(new String[0]));
            String[] failure = new String[cases.size()];
            for (int i = 0; i < lines.size(); i++) {
                String p = i < printed.size() ? printed.get(i) : "FAIL (no result)";
                int ci = owner.get(i);
                if (failure[ci] == null) {
                    if (!p.startsWith("ok ")) {
                        int colon = p.indexOf(": ");
                        failure[ci] = colon >= 0 ? p.substring(colon + 2) : p;
                    } else {
                        failure[ci] = compareOutputs(cases.get(ci), cases.get(ci).dataSets().get(
                                cases.get(ci).dataSets().indexOf(Path.of(lines.get(i).split("\t")[1]))), outDirs.get(i));
                    }
                }
            }
            List<Result> results = new ArrayList<>();
            for (int ci = 0; ci < cases.size(); ci++) {
                Case c = cases.get(ci);
                results.add(new Result(c, failure[ci] == null, failure[ci], ops(c.model())));
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteOutputs(Path out) throws IOException {
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static List<String> runCapturing(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            Main.execute(args);
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("ok ") || l.startsWith("FAIL ")).toList();
    }

    /** Null when every expected output matches, else the first difference. */
    private static String compareOutputs(Case c, Path dataSet, Path outDir) {
        try (Model m = Kiln.load(c.model())) {
            List<ValueInfo> outs = m.outputs();
            for (int k = 0; k < outs.size(); k++) {
                Path exp = dataSet.resolve("output_" + k + ".pb");
                if (!Files.exists(exp)) {
                    continue;
                }
                Path act = outDir.resolve("output_" + k + ".pb");
                if (!Files.exists(act)) {
                    return "output " + k + " was not written";
                }
                Value e = OnnxValues.read(exp, outs.get(k).type()).value();
                Value a = OnnxValues.read(act, outs.get(k).type()).value();
                String d = ValueComparison.compare(e, a, c.rtol(), c.atol());
                if (d != null) {
                    return "output '" + outs.get(k).name() + "': " + d;
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "comparison failed: " + e;
        }
    }

    /** The operator types a model uses, subgraphs included. */
    static List<String> ops(Path model) {
        try (Model m = Kiln.load(model)) {
            TreeSet<String> s = new TreeSet<>();
            collect(m.graph(), s);
            return List.copyOf(s);
        } catch (RuntimeException e) {
            return List.of("<unreadable>");
        }
    }

    private static void collect(Graph g, TreeSet<String> s) {
        for (Node n : g.nodes()) {
            s.add((n.domain().isEmpty() ? "" : n.domain() + ".") + n.opType());
            for (Graph sub : Graph.subgraphs(n)) {
                collect(sub, s);
            }
        }
    }

    /** Reads the checked-in list of cases that must pass. */
    static List<String> expectedPass() {
        try (var in = ConformanceSuite.class.getResourceAsStream("expected-pass.txt")) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Case> byId(List<Case> cases) {
        Map<String, Case> m = new java.util.LinkedHashMap<>();
        for (Case c : cases) {
            m.put(c.id(), c);
        }
        return m;
    }
}

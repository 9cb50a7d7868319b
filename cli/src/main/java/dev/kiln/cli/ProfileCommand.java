package dev.kiln.cli;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.compile.Step;
import dev.kiln.exec.Profiler;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln profile MODEL}: runs a model a few times and prints the time per node and per
 * operator type, so the effect of a fusion shows. Inputs come from {@code --input-dir}, or are
 * made up from the declared input types (floats uniform in [-1, 1), integers and bools 1).
 */
@Command(name = "profile", description = "Time a model per node and per operator type.")
final class ProfileCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .onnx model.")
    Path model;

    @Option(names = "--input-dir", description = "Folder of input_0.pb, input_1.pb, ... (default: made-up inputs).")
    Path inputDir;

    @Option(names = "--runs", description = "Timed runs (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int runs;

    @Option(names = "--warmup", description = "Untimed runs first (default ${DEFAULT-VALUE}).", defaultValue = "2")
    int warmup;

    @Option(names = "--top", description = "Slowest nodes to list (default ${DEFAULT-VALUE}).", defaultValue = "20")
    int top;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--backend", description = "Backends to use, in order.", split = ",")
    String[] backends;

    @Option(names = "--passes", description = "Optimization passes: all (default), none, or names.", split = ",")
    String[] passes;

    @Option(names = "--dim", paramLabel = "NAME=VALUE",
            description = "Value of a symbolic input dimension for made-up inputs (default 1), e.g. --dim sequence_length=128.")
    Map<String, Long> dims = new LinkedHashMap<>();

    /** Time per step, added up over the timed runs. */
    private static final class Timing {
        final Step step;
        long nanos;
        long calls;

        Timing(Step step) {
            this.step = step;
        }

        String op() {
            return (step.node().domain().isEmpty() ? "" : step.node().domain() + ".") + step.node().opType();
        }
    }

    @Override
    public Integer call() throws Exception {
        Map<Step, Timing> timings = new java.util.concurrent.ConcurrentHashMap<>();
        boolean[] timing = {false};
        Profiler profiler = (step, depth, nanos) -> {
            if (timing[0]) {
                Timing t = timings.computeIfAbsent(step, Timing::new);
                synchronized (t) {
                    t.nanos += nanos;
                    t.calls++;
                }
            }
        };
        Options o = RunCommand.options(threads, backends, passes).profiler(profiler);
        try (Model m = Kiln.load(model); Session s = m.session(o)) {
            Map<String, Value> inputs = inputDir != null ? CaseInputs.read(s.inputs(), inputDir) : madeUp(s.inputs());
            for (int i = 0; i < warmup; i++) {
                s.runValues(inputs);
            }
            timing[0] = true;
            long[] wall = new long[Math.max(1, runs)];
            for (int i = 0; i < wall.length; i++) {
                long t0 = System.nanoTime();
                s.runValues(inputs);
                wall[i] = System.nanoTime() - t0;
            }
            java.util.Arrays.sort(wall);
            print(new ArrayList<>(timings.values()), wall);
        }
        return 0;
    }

    private void print(List<Timing> steps, long[] wall) {
        int n = wall.length;
        double total = steps.stream().mapToLong(t -> t.nanos).sum() / 1e6 / n;
        System.out.printf("runs: %d, median %.2f ms, min %.2f ms; steps: %d, %.2f ms per run%n", n, wall[n / 2] / 1e6,
                wall[0] / 1e6, steps.size(), total);
        Map<String, double[]> byOp = new LinkedHashMap<>();
        for (Timing t : steps) {
            double[] v = byOp.computeIfAbsent(t.op(), k -> new double[2]);
            v[0] += t.nanos / 1e6 / n;
            v[1]++;
        }
        System.out.println();
        System.out.printf("%-32s %6s %12s %7s%n", "operator", "nodes", "ms per run", "share");
        byOp.entrySet().stream().sorted(Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[0]))
                .forEach(e -> System.out.printf("%-32s %6d %12.3f %6.1f%%%n", e.getKey(), (int) e.getValue()[1],
                        e.getValue()[0], 100 * e.getValue()[0] / total));
        System.out.println();
        System.out.printf("%-48s %-28s %12s %7s%n", "node", "operator", "ms per run", "share");
        steps.stream().sorted(Comparator.comparingLong((Timing t) -> -t.nanos)).limit(top).forEach(t -> {
            String name = t.step.node().name().isEmpty() ? "<unnamed>" : t.step.node().name();
            double ms = t.nanos / 1e6 / n;
            System.out.printf("%-48s %-28s %12.3f %6.1f%%%n", name, t.op(), ms, 100 * ms / total);
        });
    }

    private Map<String, Value> madeUp(List<ValueInfo> inputs) {
        SplittableRandom random = new SplittableRandom(42);
        Map<String, Value> r = new LinkedHashMap<>();
        for (ValueInfo in : inputs) {
            if (!(in.type() instanceof ValueType.TensorType tt) || tt.shape() == null) {
                throw new IllegalArgumentException("input '" + in.name() + "' has no declared tensor shape; use --input-dir");
            }
            long[] shape = new long[tt.shape().rank()];
            for (int i = 0; i < shape.length; i++) {
                Dim d = tt.shape().dim(i);
                shape[i] = d.isKnown() ? d.value() : dims.getOrDefault(d.isSymbol() ? d.symbolName() : "", 1L);
            }
            Tensor t = Tensor.allocate(tt.dtype(), Shape.of(shape));
            for (long i = 0; i < t.size(); i++) {
                if (tt.dtype().isFloat()) {
                    t.setDouble(i, random.nextDouble() * 2 - 1);
                } else if (tt.dtype().isInteger() || tt.dtype() == DType.BOOL) {
                    t.setLong(i, 1);
                }
            }
            r.put(in.name(), t);
        }
        return r;
    }
}

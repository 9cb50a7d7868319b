package dev.kiln.tests.bench;

import dev.kiln.Options;
import dev.kiln.backend.Backends;
import dev.kiln.compile.Compiler;
import dev.kiln.exec.PlanSession;
import dev.kiln.graph.Attribute;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH microbenchmarks of single kernels, each run as a one-node model through a session (so the
 * figure includes the executor's per-step cost, as in a real model), on the fast backend
 * ({@code cpu}) or the reference one ({@code cpu-ref}). Run with
 * {@code mvn -B -q -Pjmh -pl tests -am verify -DskipTests -Dkiln.fetch.skip=true}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmarks {
    /** The kernel: an operator and its shapes. */
    @Param({"matmul-1024x1024x1024", "matmul-128x384x1536", "conv3x3-64x56x56", "conv1x1-256x56x56",
        "depthwise3x3-128x56x56", "softmax-12x128x128", "gelu-128x1536", "layernorm-128x384"})
    public String kernel;

    @Param({"cpu"})
    public String backend;

    @Param({"1"})
    public int threads;

    private PlanSession session;
    private Map<String, Tensor> feeds;

    @Setup(Level.Trial)
    public void setUp() {
        Random rnd = new Random(1);
        Graph.Builder g = Graph.builder().name(kernel).opset("", 20);
        String[] parts = kernel.split("-");
        long[] d = java.util.Arrays.stream(parts[1].split("x")).mapToLong(Long::parseLong).toArray();
        List<String> in = new ArrayList<>();
        List<Attribute> attrs = new ArrayList<>();
        String op;
        Tensor x;
        switch (parts[0]) {
            case "matmul" -> {
                op = "MatMul";
                x = random(rnd, d[0], d[1]);
                g.initializer("w", random(rnd, d[1], d[2]));
                in.add("x");
                in.add("w");
            }
            case "conv3x3", "conv1x1", "depthwise3x3" -> {
                op = "Conv";
                int k = parts[0].equals("conv1x1") ? 1 : 3;
                long group = parts[0].startsWith("depthwise") ? d[0] : 1;
                x = random(rnd, 1, d[0], d[1], d[2]);
                g.initializer("w", random(rnd, d[0], d[0] / group, k, k));
                g.initializer("b", random(rnd, d[0]));
                attrs.add(new Attribute.IntsAttr("pads", new long[] {k / 2, k / 2, k / 2, k / 2}));
                attrs.add(new Attribute.IntAttr("group", group));
                in.add("x");
                in.add("w");
                in.add("b");
            }
            case "softmax" -> {
                op = "Softmax";
                x = random(rnd, d);
                in.add("x");
            }
            case "gelu" -> {
                op = "Gelu";
                x = random(rnd, d);
                in.add("x");
            }
            case "layernorm" -> {
                op = "LayerNormalization";
                x = random(rnd, d);
                g.initializer("s", random(rnd, d[d.length - 1]));
                g.initializer("b", random(rnd, d[d.length - 1]));
                in.add("x");
                in.add("s");
                in.add("b");
            }
            default -> throw new IllegalArgumentException(kernel);
        }
        g.addInput(new ValueInfo("x", x.type())).addOutput(new ValueInfo("y", null))
                .addNode(new Node("n", op, "", in, List.of("y"), attrs));
        Options o = Options.defaults().threads(threads).backends(backend.equals("cpu") ? new String[] {"cpu", "cpu-ref"}
                : new String[] {"cpu-ref"});
        session = new PlanSession(new Compiler(kernel, o, Backends.select(o.backends())), g.build(), o, () -> { });
        feeds = Map.of("x", x);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
    }

    @Benchmark
    public Object run() {
        return session.run(feeds);
    }

    private static Tensor random(Random rnd, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return Tensor.ofFloats(shape, v);
    }
}

package dev.kiln.tests.fuzz;

import dev.kiln.KilnException;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.graph.ReadLimits;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the fuzz targets share: the property they check, the limits they run under, small
 * random inputs for a session, and the statistics each target writes when it ends.
 *
 * <p>The property: a target's code may end normally or with a {@link KilnException}; any other
 * exception, any {@link Error} (OutOfMemoryError, StackOverflowError) or a run past the
 * per-input time bound ({@link #TIME_BOUND_SECONDS}) is a finding. With
 * {@code -Dkiln.fuzz.strict=true}, a KilnException caused by a programming error (an index out
 * of bounds, a null pointer, a bad cast, a negative array size) is a finding too: such an
 * exception is caught and named by the executor, but its message does not say what was wrong.
 */
final class FuzzSupport {
    /** The most bytes one session may hold: small, so that a run refuses big shapes quickly. */
    static final long BUDGET = 16L << 20;
    /** Import limits matching the budget. */
    static final ReadLimits LIMITS = new ReadLimits(BUDGET, 4 * BUDGET, 16);
    /** Session options for fuzzed models: one thread, the small budget. */
    static final Options OPTIONS = Options.defaults().threads(1).memoryBudget(BUDGET);
    /** Graph inputs larger than this are not fed (the run would only measure the kernels' speed). */
    static final long MAX_INPUT_ELEMENTS = 4096;

    /** An input that runs longer than this is reported as a hang. */
    static final long TIME_BOUND_SECONDS = Long.getLong("kiln.fuzz.timeBound", 60);

    private static final boolean STRICT = Boolean.getBoolean("kiln.fuzz.strict");
    private static final ExecutorService RUNNER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kiln-fuzz-input");
        t.setDaemon(true);
        return t;
    });

    private final String target;
    private final AtomicLong executions = new AtomicLong();
    private final AtomicLong clean = new AtomicLong();
    private final Map<String, Long> refusals = new TreeMap<>();

    FuzzSupport(String target) {
        this.target = target;
    }

    /** Runs one input through {@code body} within the time bound, counting how it ended. */
    void check(Runnable body) {
        executions.incrementAndGet();
        Future<?> f = RUNNER.submit(body);
        try {
            f.get(TIME_BOUND_SECONDS, TimeUnit.SECONDS);
            clean.incrementAndGet();
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError("the input ran longer than " + TIME_BOUND_SECONDS + " s (a hang)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            outcome(e.getCause());
        }
    }

    /** A KilnException is an expected outcome, counted by kind; anything else is rethrown as a finding. */
    private void outcome(Throwable t) {
        if (t instanceof RuntimeException r && !(t instanceof KilnException)) {
            throw r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (!(t instanceof KilnException e)) {
            throw new AssertionError(t);
        }
        String key = e.getClass().getSimpleName();
        Throwable cause = e.getCause();
        if (cause != null && programmingError(cause)) {
            key += " <- " + cause.getClass().getSimpleName() + " at " + firstKilnFrame(cause);
            if (STRICT) {
                throw new AssertionError("a programming error surfaced as " + e.getClass().getSimpleName()
                        + ": " + e.getMessage(), e);
            }
        }
        synchronized (refusals) {
            refusals.merge(key, 1L, Long::sum);
        }
    }

    private static boolean programmingError(Throwable t) {
        return t instanceof IndexOutOfBoundsException || t instanceof NullPointerException
                || t instanceof ClassCastException || t instanceof NegativeArraySizeException
                || t instanceof ArrayStoreException;
    }

    /** Where the programming error is: the first Kiln frame outside the tensor helpers that threw it. */
    private static String firstKilnFrame(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith("dev.kiln.") && !e.getClassName().startsWith("dev.kiln.tests.")
                    && !e.getClassName().startsWith("dev.kiln.tensor.")) {
                return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName()
                        + ":" + e.getLineNumber();
            }
        }
        return "?";
    }

    /**
     * Writes the statistics to {@code target/fuzz-stats/TARGET.txt} and prints them: executions,
     * inputs that ran cleanly, and the refusals by exception type.
     */
    void report() {
        StringBuilder b = new StringBuilder();
        b.append("fuzz target ").append(target).append(": ").append(executions.get()).append(" executions, ")
                .append(clean.get()).append(" ran without error\n");
        synchronized (refusals) {
            refusals.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                    .forEach(e -> b.append("  ").append(e.getValue()).append("  ").append(e.getKey()).append('\n'));
        }
        System.out.print(b);
        try {
            Path dir = Path.of("target", "fuzz-stats");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(target + ".txt"), b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Inputs for every tensor input of {@code session}, of the declared element type and a shape
     * that fits the declaration (symbolic and unknown dimensions become 1 or 2); {@code null}
     * when an input is not a tensor or would be larger than {@link #MAX_INPUT_ELEMENTS}.
     */
    static Map<String, Tensor> inputs(Session session, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        Map<String, Long> symbols = new TreeMap<>();
        for (ValueInfo info : session.inputs()) {
            if (!(info.type() instanceof ValueType.TensorType tt)) {
                return null;
            }
            long[] dims;
            if (tt.shape() == null) {
                dims = new long[rnd.nextInt(3)];
                java.util.Arrays.fill(dims, 2);
            } else {
                dims = new long[tt.shape().rank()];
                for (int i = 0; i < dims.length; i++) {
                    Dim d = tt.shape().dim(i);
                    dims[i] = d.isKnown() ? d.value()
                            : d.isSymbol() ? symbols.computeIfAbsent(d.symbolName(), k -> 1L + rnd.nextInt(2))
                            : 1 + rnd.nextInt(2);
                }
            }
            Shape shape;
            try {
                shape = Shape.of(dims);
            } catch (ArithmeticException e) {
                return null;
            }
            if (shape.size() > MAX_INPUT_ELEMENTS) {
                return null;
            }
            in.put(info.name(), random(tt.dtype(), shape, rnd));
        }
        return in;
    }

    /** A tensor of random values, with the odd NaN, infinity and extreme integer among them. */
    static Tensor random(DType dtype, Shape shape, SplittableRandom rnd) {
        if (dtype == DType.STRING) {
            String[] s = new String[shape.intSize()];
            for (int i = 0; i < s.length; i++) {
                s[i] = Integer.toString(rnd.nextInt(1000), 36);
            }
            return Tensor.ofStrings(shape, s);
        }
        Tensor t = Tensor.allocate(dtype, shape);
        if (dtype.kind() == DType.Kind.COMPLEX) {
            return t;
        }
        for (long i = 0; i < t.size(); i++) {
            int pick = rnd.nextInt(64);
            if (dtype.isFloat()) {
                t.setDouble(i, switch (pick) {
                    case 0 -> Double.NaN;
                    case 1 -> Double.POSITIVE_INFINITY;
                    case 2 -> Double.NEGATIVE_INFINITY;
                    case 3 -> 0.0;
                    default -> rnd.nextDouble(-4, 4);
                });
            } else if (dtype == DType.BOOL) {
                t.setLong(i, rnd.nextInt(2));
            } else {
                t.setLong(i, switch (pick) {
                    case 0 -> Long.MAX_VALUE;
                    case 1 -> Long.MIN_VALUE;
                    case 2 -> -1;
                    default -> rnd.nextInt(-3, 8);
                });
            }
        }
        return t;
    }
}

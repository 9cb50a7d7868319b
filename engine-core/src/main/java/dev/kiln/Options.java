package dev.kiln;

import dev.kiln.exec.Profiler;
import dev.kiln.opt.Pass;
import dev.kiln.opt.Passes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Session options. Immutable: every setter returns a new instance.
 *
 * <pre>{@code Options.defaults().threads(2).memoryBudget(1L << 30)}</pre>
 */
public final class Options {
    private final int threads;
    private final List<String> backends;
    private final List<String> passes;
    private final long memoryBudget;
    private final Map<String, Long> dimBindings;
    private final List<Pass> extraPasses;
    private final Path dumpPassesDir;
    private final Profiler profiler;

    private Options(int threads, List<String> backends, List<String> passes, long memoryBudget,
                    Map<String, Long> dimBindings, List<Pass> extraPasses, Path dumpPassesDir, Profiler profiler) {
        this.threads = threads;
        this.backends = List.copyOf(backends);
        this.passes = List.copyOf(passes);
        this.memoryBudget = memoryBudget;
        this.dimBindings = Map.copyOf(dimBindings);
        this.extraPasses = List.copyOf(extraPasses);
        this.dumpPassesDir = dumpPassesDir;
        this.profiler = profiler;
    }

    private Options(Options o, int threads, List<String> backends, List<String> passes, long memoryBudget,
                    Map<String, Long> dimBindings) {
        this(threads, backends, passes, memoryBudget, dimBindings, o.extraPasses, o.dumpPassesDir, o.profiler);
    }

    /**
     * The defaults: one thread per available core, every available backend, all optimization
     * passes, and a memory budget of {@link #defaultMemoryBudget()}.
     */
    public static Options defaults() {
        return new Options(Runtime.getRuntime().availableProcessors(), List.of(), List.of("all"),
                defaultMemoryBudget(), Map.of(), List.of(), null, null);
    }

    /**
     * The default memory budget of a session: the JVM's {@code -XX:MaxDirectMemorySize} when it is
     * set, else the maximum heap size ({@code -Xmx}, which is also the JVM's own default limit of
     * direct memory). Kiln's tensors live off-heap in memory segments, which no JVM flag bounds,
     * so the budget is what stops a hostile shape from exhausting the machine; these are the
     * settings an operator already uses to say how much memory the process may take.
     */
    public static long defaultMemoryBudget() {
        return DefaultBudget.BYTES;
    }

    /** Computed once: reading a VM option loads the management classes. */
    private static final class DefaultBudget {
        static final long BYTES = compute();

        private static long compute() {
            long direct = 0;
            try {
                direct = Long.parseLong(java.lang.management.ManagementFactory
                        .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                        .getVMOption("MaxDirectMemorySize").getValue());
            } catch (RuntimeException | LinkageError e) {
                // No HotSpot management (a trimmed runtime image): the heap size alone decides.
            }
            return direct > 0 ? direct : Runtime.getRuntime().maxMemory();
        }
    }

    /** Worker threads for intra-op parallelism (at least 1). */
    public Options threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
        return new Options(this, n, backends, passes, memoryBudget, dimBindings);
    }

    /** Restricts and orders the backends by name (e.g. {@code "cpu-ref"}); empty means all, by priority. */
    public Options backends(String... names) {
        return new Options(this, threads, List.of(names), passes, memoryBudget, dimBindings);
    }

    /**
     * The optimization passes by name, read left to right: {@code "all"} (the default) adds the
     * standard pipeline, {@code "none"} clears the list, a pass name adds that pass, and
     * {@code "-name"} removes it ({@code passes("all", "-attention")}). The names are listed by
     * {@link Passes#names()}.
     *
     * @throws IllegalArgumentException for an unknown pass name
     */
    public Options passes(String... names) {
        Passes.select(List.of(names));
        return new Options(this, threads, backends, List.of(names), memoryBudget, dimBindings);
    }

    /** Adds a pass of your own, run after the named passes (see {@code docs/optimizer.md}). */
    public Options addPass(Pass pass) {
        List<Pass> l = new ArrayList<>(extraPasses);
        l.add(java.util.Objects.requireNonNull(pass, "pass"));
        return new Options(threads, backends, passes, memoryBudget, dimBindings, l, dumpPassesDir, profiler);
    }

    /**
     * Writes the main graph after every pass into {@code dir} as text ({@code NN-pass.txt}) and
     * Graphviz DOT ({@code NN-pass.dot}); {@code null} turns dumping off.
     */
    public Options dumpPasses(Path dir) {
        return new Options(threads, backends, passes, memoryBudget, dimBindings, extraPasses, dir, profiler);
    }

    /** Receives the time of every step a run executes; {@code null} (the default) turns profiling off. */
    public Options profiler(Profiler p) {
        return new Options(threads, backends, passes, memoryBudget, dimBindings, extraPasses, dumpPassesDir, p);
    }

    /**
     * The most bytes of tensor memory the session may hold at once, summed over the runs in
     * flight: the arenas and buffers of its run states, checked before each allocation, and each
     * output, string tensor and sequence a run makes, checked against what is left. A request
     * beyond it fails with {@link ResourceLimitException} naming the node and the tensor.
     * Weights mapped from the model file do not count.
     */
    public Options memoryBudget(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("memory budget must be positive");
        }
        return new Options(this, threads, backends, passes, bytes, dimBindings);
    }

    /** Fixes a symbolic dimension (such as {@code batch}) to a value for this session. */
    public Options bindDim(String symbol, long value) {
        Map<String, Long> m = new LinkedHashMap<>(dimBindings);
        m.put(symbol, value);
        return new Options(this, threads, backends, passes, memoryBudget, m);
    }

    /** Worker threads. */
    public int threads() {
        return threads;
    }

    /** Backend names, in order; empty means every available backend by priority. */
    public List<String> backends() {
        return backends;
    }

    /** Optimization pass names. */
    public List<String> passes() {
        return passes;
    }

    /** Passes added with {@link #addPass}, in order. */
    public List<Pass> extraPasses() {
        return extraPasses;
    }

    /** Where the graph is dumped after every pass, or {@code null}. */
    public Path dumpPassesDir() {
        return dumpPassesDir;
    }

    /** The step profiler, or {@code null} when profiling is off. */
    public Profiler profiler() {
        return profiler;
    }

    /** The session's memory budget, in bytes (see {@link #memoryBudget(long)}). */
    public long memoryBudget() {
        return memoryBudget;
    }

    /** Symbolic dimensions fixed for this session. */
    public Map<String, Long> dimBindings() {
        return dimBindings;
    }

    @Override
    public String toString() {
        return "Options[threads=" + threads + ", backends=" + backends + ", passes=" + passes
                + ", memoryBudget=" + memoryBudget + ", dims=" + dimBindings + "]";
    }
}

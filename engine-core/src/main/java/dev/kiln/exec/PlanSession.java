package dev.kiln.exec;

import dev.kiln.InvalidInputException;
import dev.kiln.KilnException;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.backend.Backend;
import dev.kiln.compile.Compiler;
import dev.kiln.compile.Plan;
import dev.kiln.graph.Graph;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The session behind {@link dev.kiln.Model#session}: the graph compiled once for its declared
 * types, then again for each set of input shapes seen at run time (so shape computations fold
 * away and intermediates get fixed places in one arena), a worker pool, and a pool of run
 * states per plan. Runs hold a read lock; {@link #close()} takes the write lock, so it waits for
 * runs in flight and later runs fail.
 */
public final class PlanSession implements Session {
    /** Specialized plans kept per session; the least recently used is dropped beyond this. */
    private static final int PLAN_CACHE = 16;

    private final Plan plan;
    private final Graph graph;
    private final Compiler compiler;
    private final Options options;
    private final WorkerPool workers;
    private final Executor executor;
    private final Map<String, Plan> specialized = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Plan, ConcurrentLinkedQueue<RunState>> states = new ConcurrentHashMap<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final MemoryBudget budget;
    private final List<ValueInfo> inputs;
    private final Runnable onClose;
    private volatile boolean closed;

    /**
     * Compiles {@code graph} for its declared input types and opens a session on it.
     *
     * @param compiler the compiler (model name, options, backends)
     * @param graph the main graph
     * @param options the session options
     * @param onClose called once when the session closes (releases the model)
     */
    public PlanSession(Compiler compiler, Graph graph, Options options, Runnable onClose) {
        this.plan = compiler.compile(graph);
        this.graph = graph;
        this.compiler = compiler;
        this.options = options;
        this.workers = new WorkerPool(options.threads(), "kiln-" + plan.modelName());
        this.executor = new Executor(workers, options.profiler());
        this.budget = new MemoryBudget(options.memoryBudget(), this::dropIdleStates);
        this.onClose = onClose;
        List<ValueInfo> required = new ArrayList<>();
        for (int i = 0; i < plan.inputs().size(); i++) {
            if (plan.constant(plan.inputId(i)) == null) {
                required.add(plan.inputs().get(i));
            }
        }
        this.inputs = List.copyOf(required);
    }

    /** The plan compiled for the declared input types. */
    public Plan plan() {
        return plan;
    }

    @Override
    public List<ValueInfo> inputs() {
        return inputs;
    }

    @Override
    public List<ValueInfo> outputs() {
        return plan.outputs();
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> in) {
        Map<String, Value> out = runValues(in);
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : out.entrySet()) {
            if (!(e.getValue() instanceof Tensor t)) {
                throw new InvalidInputException("output is a " + e.getValue().type() + ", not a tensor; use runValues")
                        .forTensor(e.getKey()).inModel(plan.modelName());
            }
            r.put(e.getKey(), t);
        }
        return r;
    }

    @Override
    public Map<String, Value> runValues(Map<String, ? extends Value> in) {
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("session of model " + plan.modelName() + " is closed");
            }
            Value[] args = bindInputs(in);
            Plan p = planFor(args);
            Value[] planArgs = p == plan ? args : argsFor(p, args);
            ConcurrentLinkedQueue<RunState> pool = states.computeIfAbsent(p, k -> new ConcurrentLinkedQueue<>());
            RunState state = pool.poll();
            if (state == null) {
                state = new RunState(p, budget);
            }
            try {
                List<Value> outs = executor.run(p, planArgs, null, state, 0);
                Map<String, Value> r = new LinkedHashMap<>();
                for (int i = 0; i < outs.size(); i++) {
                    r.put(p.outputs().get(i).name(), outs.get(i));
                }
                return r;
            } finally {
                if (states.get(p) == pool) {
                    pool.add(state);
                } else {
                    state.close();
                }
            }
        } catch (KilnException e) {
            throw e.inModel(plan.modelName());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The plan for these inputs: compiled for their exact shapes when every input is a tensor,
     * else the general plan.
     */
    private Plan planFor(Value[] args) {
        if (declaredShapes(args)) {
            return plan;
        }
        StringBuilder key = new StringBuilder();
        Map<String, ValueType> types = new HashMap<>();
        List<String> defaulted = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i] == null) {
                key.append("-;");
                defaulted.add(plan.inputs().get(i).name());
                continue;
            }
            if (!(args[i] instanceof Tensor t)) {
                return plan;
            }
            key.append(t.dtype()).append(t.shape()).append(';');
            types.put(plan.inputs().get(i).name(), t.type());
        }
        String k = key.toString();
        synchronized (specialized) {
            Plan p = specialized.get(k);
            if (p != null) {
                return p;
            }
        }
        Plan p = compiler.compile(withoutInputs(graph, defaulted), types);
        synchronized (specialized) {
            Plan raced = specialized.putIfAbsent(k, p);
            if (raced != null) {
                return raced;
            }
            if (specialized.size() > PLAN_CACHE) {
                var eldest = specialized.entrySet().iterator();
                Plan dropped = eldest.next().getValue();
                eldest.remove();
                ConcurrentLinkedQueue<RunState> q = states.remove(dropped);
                if (q != null) {
                    RunState s;
                    while ((s = q.poll()) != null) {
                        s.close();
                    }
                }
            }
            return p;
        }
    }

    /**
     * Whether every argument is a tensor of exactly its input's declared, fully known type: the
     * general plan is then already compiled for these shapes, and a specialized one would only
     * repeat the work (a fixed-size vision model's first run would compile it twice).
     */
    private boolean declaredShapes(Value[] args) {
        for (int i = 0; i < args.length; i++) {
            if (!(args[i] instanceof Tensor t) || !(plan.inputs().get(i).type() instanceof ValueType.TensorType d)
                    || d.dtype() != t.dtype() || d.shape() == null || !d.shape().isKnown()
                    || !d.shape().toShape().equals(t.shape())) {
                return false;
            }
        }
        return true;
    }

    /** The arguments reordered for a specialized plan, whose inputs are a subset of the general one's. */
    private Value[] argsFor(Plan p, Value[] args) {
        Value[] r = new Value[p.inputs().size()];
        for (int i = 0; i < r.length; i++) {
            String name = p.inputs().get(i).name();
            for (int j = 0; j < args.length; j++) {
                if (plan.inputs().get(j).name().equals(name)) {
                    r[i] = args[j];
                }
            }
        }
        return r;
    }

    /**
     * The graph with these inputs removed: an input the caller leaves to its initializer is a
     * constant for that plan, so kernels can pack it and computations on it fold.
     */
    private static Graph withoutInputs(Graph g, List<String> names) {
        if (names.isEmpty()) {
            return g;
        }
        return g.toBuilder().inputs(g.inputs().stream().filter(v -> !names.contains(v.name())).toList()).build();
    }

    private Value[] bindInputs(Map<String, ? extends Value> in) {
        Value[] args = new Value[plan.inputs().size()];
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            index.put(plan.inputs().get(i).name(), i);
        }
        for (String name : in.keySet()) {
            if (!index.containsKey(name)) {
                throw new InvalidInputException("the model has no input named '" + name + "'; its inputs are "
                        + inputs.stream().map(ValueInfo::name).toList()).forTensor(name);
            }
        }
        Map<String, Long> symbols = new HashMap<>(options.dimBindings());
        for (int i = 0; i < args.length; i++) {
            ValueInfo info = plan.inputs().get(i);
            Value v = in.get(info.name());
            if (v == null) {
                if (plan.constant(plan.inputId(i)) == null) {
                    throw new InvalidInputException("missing input").forTensor(info.name());
                }
                continue;
            }
            check(info, v, symbols);
            args[i] = v;
        }
        return args;
    }

    private static void check(ValueInfo info, Value v, Map<String, Long> symbols) {
        ValueType declared = info.type();
        if (declared == null) {
            return;
        }
        if (declared instanceof ValueType.TensorType tt) {
            if (!(v instanceof Tensor t)) {
                throw new InvalidInputException("expected a tensor " + tt + ", got " + v.type()).forTensor(info.name());
            }
            if (t.dtype() != tt.dtype()) {
                throw new InvalidInputException("expected element type " + tt.dtype() + ", got " + t.dtype())
                        .forTensor(info.name());
            }
            if (tt.shape() == null) {
                return;
            }
            if (t.rank() != tt.shape().rank()) {
                throw new InvalidInputException("expected rank " + tt.shape().rank() + " " + tt.shape() + ", got "
                        + t.shape()).forTensor(info.name());
            }
            for (int d = 0; d < t.rank(); d++) {
                Dim dim = tt.shape().dim(d);
                long actual = t.shape().dim(d);
                if (dim.isKnown() && dim.value() != actual) {
                    throw new InvalidInputException("dimension " + d + " must be " + dim.value() + " (shape "
                            + tt.shape() + "), got " + t.shape()).forTensor(info.name());
                }
                if (dim.isSymbol()) {
                    Long prev = symbols.putIfAbsent(dim.symbolName(), actual);
                    if (prev != null && prev != actual) {
                        throw new InvalidInputException("dimension '" + dim.symbolName() + "' is " + prev
                                + " elsewhere, but " + actual + " in " + t.shape()).forTensor(info.name());
                    }
                }
            }
        } else if (v instanceof Tensor && !(declared instanceof ValueType.OptionalType)) {
            throw new InvalidInputException("expected a " + declared + ", got a tensor").forTensor(info.name());
        }
    }

    /** Frees the run states no run is using; called when the memory budget runs short. */
    private void dropIdleStates() {
        for (ConcurrentLinkedQueue<RunState> q : states.values()) {
            RunState s;
            while ((s = q.poll()) != null) {
                s.close();
            }
        }
    }

    /** Bytes of the memory budget the session's run states hold now (for tests and monitoring). */
    public long memoryHeld() {
        return budget.held();
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            workers.close();
            for (ConcurrentLinkedQueue<RunState> q : states.values()) {
                RunState s;
                while ((s = q.poll()) != null) {
                    s.close();
                }
            }
            states.clear();
            for (Backend b : compiler.backends()) {
                b.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
        onClose.run();
    }
}

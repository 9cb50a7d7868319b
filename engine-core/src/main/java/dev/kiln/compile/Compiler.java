package dev.kiln.compile;

import dev.kiln.KilnException;
import dev.kiln.ModelFormatException;
import dev.kiln.Options;
import dev.kiln.ResourceLimitException;
import dev.kiln.UnsupportedOperatorException;
import dev.kiln.backend.Backend;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.Subgraph;
import dev.kiln.graph.Graph;
import dev.kiln.graph.Node;
import dev.kiln.graph.ValueInfo;
import dev.kiln.ops.OpRegistry;
import dev.kiln.opt.Analysis;
import dev.kiln.opt.Analyzer;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Pass;
import dev.kiln.opt.PassManager;
import dev.kiln.opt.PassReport;
import dev.kiln.opt.Passes;
import dev.kiln.ops.OpSchema;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.Value;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a graph into a {@link Plan}: inline functions, order the nodes, infer types (evaluating
 * small constant subgraphs), run the optimization passes the options select ({@link PassManager}),
 * bind a kernel per node, and plan memory by liveness.
 *
 * <p>Unsupported operators are collected over the whole graph, subgraphs included, and reported
 * together.
 */
public final class Compiler {
    /** Constant folding during compilation gives up on outputs larger than this. */
    private static final long FOLD_LIMIT = 1 << 22;

    private final String modelName;
    private final Options options;
    private final List<Backend> backends;
    private final OpRegistry registry;
    private final DerivedConstants derived = new DerivedConstants();

    /**
     * @param modelName the model's name, for errors
     * @param options session options
     * @param backends backends in the order they are asked
     */
    public Compiler(String modelName, Options options, List<Backend> backends) {
        this.modelName = modelName;
        this.options = options;
        this.backends = List.copyOf(backends);
        this.registry = OpRegistry.standard();
    }

    /** The backends, in the order they are asked; the session that owns this compiler closes them. */
    public List<Backend> backends() {
        return backends;
    }

    /** Compiles a main graph for any input shapes its declared types allow. */
    public Plan compile(Graph graph) {
        return compile(graph, Map.of());
    }

    /**
     * Compiles a main graph for inputs of the given types (usually concrete shapes seen at run
     * time): shape computations fold away and every buffer of known size gets a place in one
     * arena.
     *
     * @param inputTypes types replacing the declared types of these graph inputs
     */
    public Plan compile(Graph graph, Map<String, ValueType> inputTypes) {
        try {
            Unsupported unsupported = new Unsupported();
            Plan p = compile(graph, Map.of(), inputTypes, unsupported);
            unsupported.throwIfAny();
            return p;
        } catch (KilnException e) {
            throw e.inModel(modelName);
        }
    }

    /** Lists the unsupported operators of a graph (subgraphs included) without compiling it. */
    public List<String> unsupportedOperators(Graph graph) {
        Unsupported u = new Unsupported();
        collectUnsupported(graph, u);
        return u.list();
    }

    private void collectUnsupported(Graph g, Unsupported u) {
        for (Node n : g.nodes()) {
            if (!isSupported(g, n)) {
                u.add(n);
            }
            for (Graph sub : Graph.subgraphs(n)) {
                collectUnsupported(inherit(sub, g), u);
            }
        }
    }

    private boolean isSupported(Graph g, Node n) {
        if (g.functions().containsKey(dev.kiln.graph.Function.key(n.domain(), n.opType()))
                || GradientExpander.isGradient(n)) {
            return true;
        }
        return hasKernel(n.domain(), n.opType()) && existsAtOpset(n, g.opset(n.domain()));
    }

    /** The position of the first backend that runs {@code domain.opType}, or {@link Integer#MAX_VALUE}. */
    private int backendRank(String domain, String opType) {
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i).supports(domain, opType)) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    private boolean hasKernel(String domain, String opType) {
        for (Backend b : backends) {
            if (b.supports(domain, opType)) {
                return true;
            }
        }
        return false;
    }

    private boolean existsAtOpset(Node n, int opset) {
        OpSchema s = registry.get(n.domain(), n.opType());
        return s == null || s.versionAt(opset) >= 0;
    }

    private Plan compile(Graph graph, Map<String, ValueType> outerTypes, Map<String, ValueType> inputTypes,
                         Unsupported unsupported) {
        Optimized o = optimize(graph, outerTypes, inputTypes, false);
        Analysis a = o.analysis();
        return build(o.graph(), a.order(), a.types(), a.constants(), outerTypes, inputTypes.keySet(), unsupported,
                outerTypes.isEmpty());
    }

    /**
     * The main graph after function inlining, type inference and the optimization passes the
     * options select (subgraphs are optimized when they are compiled), with what each pass did.
     */
    public Optimized optimize(Graph graph) {
        return optimize(graph, Map.of());
    }

    /** {@link #optimize(Graph)} for inputs of the given types (see {@link #compile(Graph, Map)}). */
    public Optimized optimize(Graph graph, Map<String, ValueType> inputTypes) {
        try {
            return optimize(graph, Map.of(), inputTypes, true);
        } catch (KilnException e) {
            throw e.inModel(modelName);
        }
    }

    private Optimized optimize(Graph graph, Map<String, ValueType> outerTypes, Map<String, ValueType> inputTypes,
                               boolean main) {
        Graph g = GradientExpander.expand(FunctionInliner.inline(graph, this::hasKernel));
        GraphAnalyzer analyzer = new GraphAnalyzer(outerTypes, inputTypes);
        Analysis a = analyzer.analyze(g);
        List<Pass> passes = new ArrayList<>(Passes.select(options.passes()));
        passes.addAll(options.extraPasses());
        if (passes.isEmpty()) {
            return new Optimized(g, a, List.of());
        }
        OptGraph og = new OptGraph(g, a, analyzer, outerTypes.keySet(), this::backendRank);
        List<PassReport> reports = new PassManager(passes, main ? options.dumpPassesDir() : null).run(og);
        return new Optimized(og.graph(), og.analysis(), reports);
    }

    /**
     * A graph after optimization.
     *
     * @param graph the rewritten graph, nodes in execution order
     * @param analysis its types and constants
     * @param reports what each pass did, in order
     */
    public record Optimized(Graph graph, Analysis analysis, List<PassReport> reports) {
    }

    /** Ordering and type inference for one graph (and the scope that encloses it). */
    private final class GraphAnalyzer implements Analyzer {
        private final Map<String, ValueType> outerTypes;
        private final Map<String, ValueType> inputTypes;

        GraphAnalyzer(Map<String, ValueType> outerTypes, Map<String, ValueType> inputTypes) {
            this.outerTypes = outerTypes;
            this.inputTypes = inputTypes;
        }

        @Override
        public Analysis analyze(Graph g) {
            Map<String, ValueType> types = new HashMap<>(outerTypes);
            Map<String, Tensor> constants = new HashMap<>(g.initializers());
            for (ValueInfo in : g.inputs()) {
                ValueType given = inputTypes.get(in.name());
                if (given != null) {
                    types.put(in.name(), given);
                } else if (in.type() != null) {
                    types.put(in.name(), bindDims(in.type()));
                }
                // An input may override its initializer, so the initializer is only a default.
                constants.remove(in.name());
            }
            for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
                if (!types.containsKey(e.getKey())) {
                    types.put(e.getKey(), e.getValue().type());
                }
            }
            List<Node> order = sort(g);
            TypeInference.run(order, types, constants, declared(g), g.opsets(), registry, Compiler.this::evaluate);
            return new Analysis(order, types, constants);
        }

        @Override
        public List<Node> sort(Graph g) {
            Set<String> available = new HashSet<>(outerTypes.keySet());
            for (ValueInfo in : g.inputs()) {
                available.add(in.name());
            }
            available.addAll(g.initializers().keySet());
            return TopoSort.sort(g, available);
        }

        @Override
        public void infer(List<Node> nodes, Graph g, Analysis analysis) {
            TypeInference.run(nodes, analysis.types(), analysis.constants(), declared(g), g.opsets(), registry,
                    Compiler.this::evaluate);
        }

        private static Map<String, ValueType> declared(Graph g) {
            Map<String, ValueType> declared = new HashMap<>();
            g.valueInfo().forEach((k, v) -> declared.put(k, v.type()));
            for (ValueInfo o : g.outputs()) {
                if (o.type() != null) {
                    declared.putIfAbsent(o.name(), o.type());
                }
            }
            return declared;
        }
    }

    private ValueType bindDims(ValueType t) {
        if (options.dimBindings().isEmpty() || !(t instanceof ValueType.TensorType tt) || tt.shape() == null) {
            return t;
        }
        List<Dim> dims = new ArrayList<>();
        for (Dim d : tt.shape().dims()) {
            Long v = d.isSymbol() ? options.dimBindings().get(d.symbolName()) : null;
            dims.add(v != null ? Dim.of(v) : d);
        }
        return ValueType.tensor(tt.dtype(), SymbolicShape.of(dims));
    }

    private Tensor[] evaluate(Node n, int opset, Tensor[] inputs) {
        long total = 0;
        for (Tensor t : inputs) {
            total += t == null ? 0 : t.size();
        }
        if (total > FOLD_LIMIT) {
            return null;
        }
        Map<String, ValueType> types = new HashMap<>();
        Map<String, Tensor> consts = new HashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null) {
                types.put(n.input(i), inputs[i].type());
                consts.put(n.input(i), inputs[i]);
            }
        }
        for (Backend b : backends) {
            if (!b.device().hostMemory() || !b.supports(n.domain(), n.opType())) {
                continue;
            }
            try {
                Kernel k = b.bind(new Binding(n, opset, types, consts, Map.of(), null, null));
                if (k == null) {
                    continue;
                }
                ConstantContext ctx = new ConstantContext(n, inputs, FOLD_LIMIT);
                k.run(ctx);
                Value[] vs = ctx.outputs();
                Tensor[] out = new Tensor[vs.length];
                for (int i = 0; i < vs.length; i++) {
                    if (!(vs[i] instanceof Tensor t) && n.outputs().size() > i && !n.outputs().get(i).isEmpty()) {
                        return null;
                    }
                    out[i] = (Tensor) vs[i];
                }
                return out;
            } catch (ConstantContext.TooLarge | KilnException | UnsupportedOperationException e) {
                return null;
            } catch (RuntimeException e) {
                // The node fails on these inputs; the error surfaces when it runs, with run-time context.
                return null;
            }
        }
        return null;
    }

    private Plan build(Graph g, List<Node> nodes, Map<String, ValueType> types, Map<String, Tensor> constants,
                       Map<String, ValueType> outerTypes, Set<String> suppliedInputs, Unsupported unsupported,
                       boolean planArena) {
        Values values = Values.of(g, nodes, types, constants);
        Map<String, Integer> ids = values.ids();
        int count = ids.size();
        String[] names = values.names();
        ValueType[] vtypes = values.types();
        Tensor[] consts = values.constants();

        Set<Integer> defined = new HashSet<>();
        for (ValueInfo in : g.inputs()) {
            defined.add(ids.get(in.name()));
        }
        for (int i = 0; i < count; i++) {
            if (consts[i] != null) {
                defined.add(i);
            }
        }
        List<Step> steps = new ArrayList<>();
        List<Kernel> kernels = new ArrayList<>();
        List<String> backendNames = new ArrayList<>();
        List<Device> devices = new ArrayList<>();
        Backend accelerator = planArena ? accelerator() : null;
        // Everything visible to a subgraph of this graph, with its type where known.
        Map<String, ValueType> scope = new HashMap<>(outerTypes);
        for (String name : names) {
            scope.put(name, types.get(name));
        }
        for (Node n : nodes) {
            int opset = g.opset(n.domain());
            Kernel k = null;
            String bname = null;
            Device device = Device.CPU;
            if (existsAtOpset(n, opset)) {
                for (Backend b : backends) {
                    if (!b.supports(n.domain(), n.opType())
                            || (!b.device().hostMemory() && (b != accelerator || !deviceEligible(n, types)))) {
                        continue;
                    }
                    try {
                        k = b.bind(new Binding(n, opset, types, constants, scope, unsupported, g));
                    } catch (KilnException e) {
                        throw e.atNode(n.describe());
                    } catch (RuntimeException e) {
                        throw new ModelFormatException("cannot bind kernel: " + e.getMessage(), e).atNode(n.describe());
                    }
                    if (k != null) {
                        bname = b.name();
                        device = b.device();
                        break;
                    }
                }
            }
            if (k == null) {
                unsupported.add(n);
            }
            kernels.add(k);
            backendNames.add(bname);
            devices.add(device);
        }
        Set<String> deviceValues = Set.of();
        if (devices.stream().anyMatch(d -> !d.hostMemory())) {
            TransferInsertion.Result placed = TransferInsertion.insert(nodes, kernels, backendNames, devices,
                    constants.keySet(), g.outputs().stream().map(ValueInfo::name).toList(), types);
            nodes = placed.nodes();
            kernels = placed.kernels();
            backendNames = placed.backends();
            devices = placed.devices();
            deviceValues = placed.deviceValues();
            values = Values.of(g, nodes, types, constants);
            ids = values.ids();
            count = ids.size();
            names = values.names();
            vtypes = values.types();
            consts = values.constants();
        }

        // Alias roots: a view shares its input's memory.
        int[] root = new int[count];
        for (int i = 0; i < count; i++) {
            root[i] = i;
        }
        for (int s = 0; s < nodes.size(); s++) {
            Node n = nodes.get(s);
            Kernel k = kernels.get(s);
            for (int o = 0; o < n.outputs().size(); o++) {
                String out = n.outputs().get(o);
                int v = k == null ? -1 : k.viewOf(o);
                if (!out.isEmpty() && v >= 0 && n.hasInput(v)) {
                    root[ids.get(out)] = root[ids.get(n.input(v))];
                }
            }
        }
        // Liveness: the last step reading any value of an alias set frees the root's buffer.
        int[] lastUse = new int[count];
        Arrays.fill(lastUse, -1);
        int[] producer = new int[count];
        Arrays.fill(producer, -1);
        for (int s = 0; s < nodes.size(); s++) {
            Node n = nodes.get(s);
            for (String in : TopoSort.reads(n)) {
                int r = root[ids.get(in)];
                lastUse[r] = Math.max(lastUse[r], s);
            }
            for (String o : n.outputs()) {
                if (!o.isEmpty()) {
                    int id = ids.get(o);
                    producer[id] = s;
                    lastUse[root[id]] = Math.max(lastUse[root[id]], s);
                }
            }
        }
        checkDeclaredSizes(g, nodes, names, vtypes, consts, producer, suppliedInputs);
        boolean[] owned = new boolean[count];
        int[] outputIds = new int[g.outputs().size()];
        boolean[] copyOnReturn = new boolean[outputIds.length];
        for (int i = 0; i < outputIds.length; i++) {
            int id = ids.get(g.outputs().get(i).name());
            outputIds[i] = id;
            if (producer[id] >= 0 && root[id] == id) {
                owned[id] = true;
            } else {
                copyOnReturn[i] = true;
            }
            lastUse[root[id]] = Integer.MAX_VALUE;
        }
        List<List<Integer>> releases = new ArrayList<>();
        for (int s = 0; s < nodes.size(); s++) {
            releases.add(new ArrayList<>());
        }
        for (int id = 0; id < count; id++) {
            if (root[id] == id && producer[id] >= 0 && !owned[id] && lastUse[id] >= 0
                    && lastUse[id] < nodes.size()) {
                releases.get(lastUse[id]).add(id);
            }
        }
        for (int s = 0; s < nodes.size(); s++) {
            Node n = nodes.get(s);
            int[] in = new int[n.inputs().size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = n.input(i).isEmpty() ? -1 : ids.get(n.input(i));
            }
            int[] out = new int[n.outputs().size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = n.outputs().get(i).isEmpty() ? -1 : ids.get(n.outputs().get(i));
            }
            Set<String> implicit = new LinkedHashSet<>();
            for (Graph sub : Graph.subgraphs(n)) {
                implicit.addAll(sub.freeVariables());
            }
            int[] imp = implicit.stream().mapToInt(ids::get).toArray();
            int[] rel = releases.get(s).stream().mapToInt(Integer::intValue).toArray();
            steps.add(new Step(n, kernels.get(s), backendNames.get(s), devices.get(s), in, out, imp, rel));
        }
        List<Integer> outer = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            if (producer[id] < 0 && consts[id] == null && !isInput(g, names[id])) {
                if (!outerTypes.containsKey(names[id])) {
                    throw new ModelFormatException("graph '" + g.name() + "' reads '" + names[id]
                            + "', which nothing defines").forTensor(names[id]);
                }
                outer.add(id);
            }
        }
        int[] inputIds = new int[g.inputs().size()];
        List<ValueInfo> inputs = new ArrayList<>();
        for (int i = 0; i < inputIds.length; i++) {
            ValueInfo in = g.inputs().get(i);
            inputIds[i] = ids.get(in.name());
            inputs.add(new ValueInfo(in.name(), types.getOrDefault(in.name(), in.type())));
        }
        List<ValueInfo> outputs = new ArrayList<>();
        for (ValueInfo o : g.outputs()) {
            outputs.add(new ValueInfo(o.name(), types.getOrDefault(o.name(), o.type())));
        }
        // Buffers whose size inference knows share one arena, placed by liveness. Subgraphs run
        // inside their node's step and use the pool instead.
        long[] bytes = new long[count];
        Arrays.fill(bytes, -1);
        boolean[] onDevice = new boolean[count];
        for (String dv : deviceValues) {
            onDevice[ids.get(dv)] = true;
        }
        if (planArena) {
            for (int id = 0; id < count; id++) {
                if (root[id] == id && producer[id] >= 0 && !owned[id] && lastUse[id] >= 0 && !onDevice[id]
                        && !(steps.get(producer[id]).kernel() instanceof Transfer)
                        && vtypes[id] instanceof ValueType.TensorType tt && tt.shape() != null && tt.shape().isKnown()
                        && tt.dtype() != dev.kiln.tensor.DType.STRING) {
                    bytes[id] = tt.dtype().byteSize(tt.shape().toShape().size());
                }
            }
        }
        int[] last = lastUse.clone();
        for (int id = 0; id < count; id++) {
            last[id] = Math.min(last[id], nodes.size());
        }
        MemoryPlanner.Placement placement = MemoryPlanner.place(bytes, producer, last);
        DevicePlan devicePlan = accelerator == null || deviceValues.isEmpty() ? DevicePlan.NONE
                : DeviceMemoryPlanner.plan(accelerator.runtime(), steps, onDevice, vtypes, root, consts, producer, last);
        return new Plan(modelName, g.name(), names, ids, vtypes, steps, inputs, inputIds, outputs, outputIds,
                consts, outer.stream().mapToInt(Integer::intValue).toArray(), owned, root, copyOnReturn,
                placement.offsets(), bytes, placement.arenaBytes(), devicePlan);
    }

    /**
     * The values of a graph numbered (inputs, initializers, then what the nodes read and write,
     * then outputs), with their types and constant values.
     */
    private record Values(Map<String, Integer> ids, String[] names, ValueType[] types, Tensor[] constants) {
        static Values of(Graph g, List<Node> nodes, Map<String, ValueType> types, Map<String, Tensor> constants) {
            Map<String, Integer> ids = new LinkedHashMap<>();
            for (ValueInfo in : g.inputs()) {
                ids.putIfAbsent(in.name(), ids.size());
            }
            for (String name : g.initializers().keySet()) {
                ids.putIfAbsent(name, ids.size());
            }
            for (Node n : nodes) {
                for (String in : TopoSort.reads(n)) {
                    ids.putIfAbsent(in, ids.size());
                }
                for (String o : n.outputs()) {
                    if (!o.isEmpty()) {
                        ids.putIfAbsent(o, ids.size());
                    }
                }
            }
            for (ValueInfo o : g.outputs()) {
                ids.putIfAbsent(o.name(), ids.size());
            }
            int count = ids.size();
            String[] names = new String[count];
            for (Map.Entry<String, Integer> e : ids.entrySet()) {
                names[e.getValue()] = e.getKey();
            }
            ValueType[] vtypes = new ValueType[count];
            Tensor[] consts = new Tensor[count];
            for (int i = 0; i < count; i++) {
                vtypes[i] = types.get(names[i]);
                consts[i] = constants.get(names[i]);
            }
            // Graph inputs without an initializer default are never constant; with one, the
            // initializer is the default used when the caller does not supply the input.
            for (ValueInfo in : g.inputs()) {
                consts[ids.get(in.name())] = g.initializers().get(in.name());
            }
            return new Values(ids, names, vtypes, consts);
        }
    }

    /** The first backend of a device that does not use host memory, or {@code null}: one accelerator per session. */
    private Backend accelerator() {
        for (Backend b : backends) {
            if (!b.device().hostMemory()) {
                if (b.runtime() == null) {
                    throw new IllegalStateException("backend " + b.name() + " runs on " + b.device() + " but has no runtime");
                }
                return b;
            }
        }
        return null;
    }

    /**
     * True when a device backend may take the node: no subgraphs, and every input and output a
     * non-string tensor of static shape, so the device memory plan is complete at compile time.
     */
    private static boolean deviceEligible(Node n, Map<String, ValueType> types) {
        if (!Graph.subgraphs(n).isEmpty()) {
            return false;
        }
        List<String> io = new ArrayList<>(n.inputs());
        io.addAll(n.outputs());
        for (String v : io) {
            if (!v.isEmpty() && !(types.get(v) instanceof ValueType.TensorType tt && tt.shape() != null
                    && tt.shape().isKnown() && tt.dtype() != dev.kiln.tensor.DType.STRING)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A subgraph with the enclosing graph's opset imports and functions where it has none of its
     * own: the model's imports apply to every graph in it, also to subgraphs built without them.
     */
    private static Graph inherit(Graph body, Graph enclosing) {
        if (body.opsets().keySet().containsAll(enclosing.opsets().keySet())
                && body.functions().keySet().containsAll(enclosing.functions().keySet())) {
            return body;
        }
        Map<String, Integer> opsets = new HashMap<>(enclosing.opsets());
        opsets.putAll(body.opsets());
        Map<String, dev.kiln.graph.Function> functions = new HashMap<>(enclosing.functions());
        functions.putAll(body.functions());
        return body.toBuilder().opsets(opsets).functions(functions).build();
    }

    /**
     * Refuses, before anything runs, a value whose known shape needs more bytes than the memory
     * budget (or more than 2^63): a hostile model fails here, naming the node and the tensor,
     * rather than when a kernel asks for the memory. Inputs whose types the caller supplied
     * (the shapes of the tensors of a run) are the caller's memory and are not checked.
     */
    private void checkDeclaredSizes(Graph g, List<Node> nodes, String[] names, ValueType[] types, Tensor[] consts,
                                    int[] producer, Set<String> suppliedInputs) {
        for (int id = 0; id < names.length; id++) {
            if (consts[id] != null || !(types[id] instanceof ValueType.TensorType tt) || tt.shape() == null
                    || !tt.shape().isKnown() || tt.dtype() == dev.kiln.tensor.DType.STRING) {
                continue;
            }
            long bytes;
            try {
                bytes = tt.dtype().byteSize(tt.shape().toShape().size());
            } catch (ArithmeticException e) {
                bytes = -1;
            }
            if (bytes >= 0 && bytes <= options.memoryBudget()) {
                continue;
            }
            String size = bytes < 0 ? "more than 2^63 bytes" : bytes + " bytes";
            if (producer[id] >= 0) {
                throw new ResourceLimitException(tt + " needs " + size + ", more than the session's memory budget of "
                        + options.memoryBudget() + " bytes").atNode(nodes.get(producer[id]).describe()).forTensor(names[id]);
            }
            // An input the caller supplied is the caller's memory; only a declaration no input can meet is refused.
            if (isInput(g, names[id]) && !suppliedInputs.contains(names[id])) {
                throw new ResourceLimitException("the input is declared " + tt + ", which needs " + size
                        + ", more than the session's memory budget of " + options.memoryBudget() + " bytes")
                        .forTensor(names[id]);
            }
        }
    }

    private static boolean isInput(Graph g, String name) {
        for (ValueInfo in : g.inputs()) {
            if (in.name().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** What a backend sees of a node at bind time. */
    private final class Binding implements BindContext {
        private final Node node;
        private final int opset;
        private final Map<String, ValueType> types;
        private final Map<String, Tensor> constants;
        private final Map<String, ValueType> scope;
        private final Unsupported unsupported;
        private final Graph graph;

        Binding(Node node, int opset, Map<String, ValueType> types, Map<String, Tensor> constants,
                Map<String, ValueType> scope, Unsupported unsupported, Graph graph) {
            this.node = node;
            this.opset = opset;
            this.types = types;
            this.constants = constants;
            this.scope = scope;
            this.unsupported = unsupported;
            this.graph = graph;
        }

        @Override
        public Node node() {
            return node;
        }

        @Override
        public int opset() {
            return opset;
        }

        @Override
        public int inputCount() {
            return node.inputs().size();
        }

        @Override
        public ValueType inputType(int i) {
            return node.input(i).isEmpty() ? null : types.get(node.input(i));
        }

        @Override
        public Tensor constantInput(int i) {
            return node.input(i).isEmpty() ? null : constants.get(node.input(i));
        }

        @Override
        public ValueType outputType(int i) {
            return i < node.outputs().size() ? types.get(node.outputs().get(i)) : null;
        }

        @Override
        public Subgraph compile(Graph body) {
            if (unsupported == null) {
                throw new UnsupportedOperationException("subgraphs are not compiled for constant folding");
            }
            return Compiler.this.compile(inherit(body, graph), scope, Map.of(), unsupported);
        }

        @Override
        public Options options() {
            return options;
        }

        @Override
        public <T> T derived(Tensor constant, String kind, java.util.function.Function<Tensor, T> derive) {
            return Compiler.this.derived.get(constant, kind, derive);
        }
    }

    /** Unsupported operators found so far, with the nodes that use them. */
    private static final class Unsupported {
        private final Map<String, List<String>> ops = new TreeMap<>();

        void add(Node n) {
            String op = (n.domain().isEmpty() ? "" : n.domain() + ".") + n.opType();
            ops.computeIfAbsent(op, k -> new ArrayList<>()).add(n.name().isEmpty() ? "<unnamed>" : n.name());
        }

        List<String> list() {
            List<String> r = new ArrayList<>();
            ops.forEach((op, nodes) -> {
                List<String> shown = nodes.size() > 5 ? nodes.subList(0, 5) : nodes;
                r.add(op + " (node" + (nodes.size() == 1 ? " " : "s ") + String.join(", ", shown)
                        + (nodes.size() > 5 ? ", +" + (nodes.size() - 5) + " more" : "") + ")");
            });
            return r;
        }

        void throwIfAny() {
            if (!ops.isEmpty()) {
                throw new UnsupportedOperatorException(list());
            }
        }
    }
}

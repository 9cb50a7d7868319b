package dev.kiln.compile;

import dev.kiln.backend.Subgraph;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.List;
import java.util.Map;

/**
 * The compiled form of a graph: values numbered, steps in execution order with their kernels,
 * and the memory plan (which values own memory, which are views of which, and after which
 * step each buffer is free). Immutable and shared by every run.
 */
public final class Plan implements Subgraph {
    private final String modelName;
    private final String graphName;
    private final String[] names;
    private final Map<String, Integer> ids;
    private final ValueType[] types;
    private final List<Step> steps;
    private final List<ValueInfo> inputs;
    private final int[] inputIds;
    private final List<ValueInfo> outputs;
    private final int[] outputIds;
    private final Tensor[] constants;
    private final int[] outerIds;
    private final boolean[] owned;
    private final int[] root;
    private final boolean[] copyOnReturn;
    private final long[] arenaOffset;
    private final long[] arenaBytes;
    private final long arenaSize;
    private final DevicePlan device;

    Plan(String modelName, String graphName, String[] names, Map<String, Integer> ids, ValueType[] types,
         List<Step> steps, List<ValueInfo> inputs, int[] inputIds, List<ValueInfo> outputs, int[] outputIds,
         Tensor[] constants, int[] outerIds, boolean[] owned, int[] root, boolean[] copyOnReturn,
         long[] arenaOffset, long[] arenaBytes, long arenaSize, DevicePlan device) {
        this.modelName = modelName;
        this.graphName = graphName;
        this.names = names;
        this.ids = Map.copyOf(ids);
        this.types = types;
        this.steps = List.copyOf(steps);
        this.inputs = List.copyOf(inputs);
        this.inputIds = inputIds;
        this.outputs = List.copyOf(outputs);
        this.outputIds = outputIds;
        this.constants = constants;
        this.outerIds = outerIds;
        this.owned = owned;
        this.root = root;
        this.copyOnReturn = copyOnReturn;
        this.arenaOffset = arenaOffset;
        this.arenaBytes = arenaBytes;
        this.arenaSize = arenaSize;
        this.device = device;
    }

    /** The model this plan belongs to, for error messages. */
    public String modelName() {
        return modelName;
    }

    /** The graph's name. */
    public String graphName() {
        return graphName;
    }

    /** Number of values. */
    public int valueCount() {
        return names.length;
    }

    /** The name of value {@code id}. */
    public String name(int id) {
        return names[id];
    }

    /** The id of a value, or -1. */
    public int id(String name) {
        Integer i = ids.get(name);
        return i == null ? -1 : i;
    }

    /** The inferred static type of value {@code id}, or {@code null}. */
    public ValueType type(int id) {
        return types[id];
    }

    /** The steps in execution order. */
    public List<Step> steps() {
        return steps;
    }

    @Override
    public List<ValueInfo> inputs() {
        return inputs;
    }

    /** Value ids of the inputs. */
    public int inputId(int i) {
        return inputIds[i];
    }

    @Override
    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** Value id of output {@code i}. */
    public int outputId(int i) {
        return outputIds[i];
    }

    /** The constant value of {@code id} (an initializer), or {@code null}. */
    public Tensor constant(int id) {
        return constants[id];
    }

    /** Ids of values read from enclosing scopes. */
    public int[] outerIds() {
        return outerIds.clone();
    }

    /** True when value {@code id} is allocated in memory that outlives the run (graph outputs). */
    public boolean owned(int id) {
        return owned[id];
    }

    /** The value whose memory value {@code id} uses (itself unless it is a view). */
    public int root(int id) {
        return root[id];
    }

    /** The offset of value {@code id} in the run arena, or -1 when it is allocated from the pool. */
    public long arenaOffset(int id) {
        return arenaOffset[id];
    }

    /** The bytes reserved for value {@code id} in the run arena (valid when it has an offset). */
    public long arenaBytes(int id) {
        return arenaBytes[id];
    }

    /** The size of the run arena that holds every value with an offset. */
    public long arenaSize() {
        return arenaSize;
    }

    /** True when output {@code i} must be copied before it leaves the run (a view or a pass-through). */
    public boolean copyOnReturn(int i) {
        return copyOnReturn[i];
    }

    /** The device side of the plan (device arena, staging, scratch); its runtime is {@code null} for host-only plans. */
    public DevicePlan device() {
        return device;
    }
}

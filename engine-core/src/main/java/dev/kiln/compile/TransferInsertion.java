package dev.kiln.compile;

import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;
import dev.kiln.tensor.ValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inserts the copies between host and device memory into a bound, ordered list of steps.
 *
 * <p>A value keeps its name on the host; its device copy is named {@code name@device}. A
 * device step reads the device copies of its inputs (uploading a host value just before the
 * first device step that reads it) and writes device copies; a host step that reads a value
 * made on the device gets a download just before it, and so does a graph output. Each value
 * crosses in each direction at most once. Constants are not copied per run: device kernels
 * read them through {@link dev.kiln.backend.DeviceRuntime#constant}, which uploads each once.
 */
final class TransferInsertion {
    /** The steps with transfers inserted, and the names of values that live on the device. */
    record Result(List<Node> nodes, List<Kernel> kernels, List<String> backends, List<Device> devices,
                  Set<String> deviceValues) {
    }

    private TransferInsertion() {
    }

    /**
     * @param devices where each step runs ({@link Device#CPU} for host kernels)
     * @param constants names of constant values
     * @param graphOutputs names of the graph's outputs
     * @param types value types, extended with the types of device copies
     */
    static Result insert(List<Node> nodes, List<Kernel> kernels, List<String> backends, List<Device> devices,
                         Set<String> constants, List<String> graphOutputs, Map<String, ValueType> types) {
        List<Node> outNodes = new ArrayList<>();
        List<Kernel> outKernels = new ArrayList<>();
        List<String> outBackends = new ArrayList<>();
        List<Device> outDevices = new ArrayList<>();
        // Where each value produced so far lives (absent: the host).
        Map<String, Device> home = new HashMap<>();
        Set<String> onHost = new HashSet<>();
        Set<String> deviceValues = new HashSet<>();
        for (int s = 0; s < nodes.size(); s++) {
            Node n = nodes.get(s);
            Device d = devices.get(s);
            if (d.hostMemory()) {
                for (String in : TopoSort.reads(n)) {
                    Device h = home.get(in);
                    if (h != null && onHost.add(in)) {
                        add(outNodes, outKernels, outBackends, outDevices, transfer(Transfer.TO_HOST, copyName(in, h), in), h);
                    }
                }
                outNodes.add(n);
            } else {
                List<String> ins = new ArrayList<>();
                for (String in : n.inputs()) {
                    if (in.isEmpty() || constants.contains(in)) {
                        ins.add(in);
                        continue;
                    }
                    String copy = copyName(in, d);
                    if (!d.equals(home.get(in)) && deviceValues.add(copy)) {
                        types.put(copy, types.get(in));
                        add(outNodes, outKernels, outBackends, outDevices, transfer(Transfer.TO_DEVICE, in, copy), d);
                    }
                    ins.add(copy);
                }
                List<String> outs = new ArrayList<>();
                for (String o : n.outputs()) {
                    if (o.isEmpty()) {
                        outs.add(o);
                        continue;
                    }
                    String copy = copyName(o, d);
                    types.put(copy, types.get(o));
                    deviceValues.add(copy);
                    home.put(o, d);
                    outs.add(copy);
                }
                outNodes.add(n.withIo(ins, outs));
            }
            outKernels.add(kernels.get(s));
            outBackends.add(backends.get(s));
            outDevices.add(d);
        }
        for (String o : graphOutputs) {
            Device h = home.get(o);
            if (h != null && onHost.add(o)) {
                add(outNodes, outKernels, outBackends, outDevices, transfer(Transfer.TO_HOST, copyName(o, h), o), h);
            }
        }
        return new Result(outNodes, outKernels, outBackends, outDevices, deviceValues);
    }

    /** The name of the copy of {@code name} in the memory of {@code d}. */
    static String copyName(String name, Device d) {
        return name + "@" + d;
    }

    private static Node transfer(Transfer t, String from, String to) {
        return new Node(t.opType() + "(" + from + ")", t.opType(), Transfer.DOMAIN, List.of(from), List.of(to), List.of());
    }

    private static void add(List<Node> nodes, List<Kernel> kernels, List<String> backends, List<Device> devices,
                            Node n, Device d) {
        nodes.add(n);
        kernels.add(n.opType().equals(Transfer.TO_DEVICE.opType()) ? Transfer.TO_DEVICE : Transfer.TO_HOST);
        backends.add(Transfer.DOMAIN);
        devices.add(d);
    }
}

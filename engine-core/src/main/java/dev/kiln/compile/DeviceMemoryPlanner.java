package dev.kiln.compile;

import dev.kiln.backend.DeviceRuntime;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.List;

/**
 * Plans the device memory of one plan: every device value (an alias root, not a constant) and
 * every device step's scratch get a place in one device arena by liveness, like the host
 * arena; every transfer gets its own slot in the pinned staging buffer. Staging slots are not
 * shared within a run, so an async copy never races a later transfer; the executor
 * synchronizes the queue before a run ends, so the next run may reuse them.
 *
 * <p>On a device that shares memory with the host ({@link DeviceRuntime#unifiedMemory()}) the
 * staging buffer is device memory, so a value that crosses lives in its staging slot instead
 * of the arena: an uploaded value is its slot, and a device value that is downloaded is
 * written by its producer straight into the download's slot. Every crossing is then one copy
 * by the host, and the slot, private to the transfer within a run, is safe to write before
 * earlier device work has finished.
 */
final class DeviceMemoryPlanner {
    private DeviceMemoryPlanner() {
    }

    static DevicePlan plan(DeviceRuntime runtime, List<Step> steps, boolean[] onDevice, ValueType[] types, int[] root,
                           Tensor[] constants, int[] producer, int[] last) {
        int count = onDevice.length;
        int n = count + steps.size();
        long[] bytes = new long[n];
        int[] first = new int[n];
        int[] end = new int[n];
        java.util.Arrays.fill(bytes, -1);
        for (int id = 0; id < count; id++) {
            first[id] = producer[id];
            end[id] = last[id];
            if (onDevice[id] && root[id] == id && constants[id] == null && producer[id] >= 0) {
                bytes[id] = sizeOf(types[id]);
            }
        }
        long[] staging = new long[count];
        java.util.Arrays.fill(staging, -1);
        long[] inStaging = new long[count];
        java.util.Arrays.fill(inStaging, -1);
        boolean unified = runtime.unifiedMemory();
        long stagingSize = 0;
        for (int s = 0; s < steps.size(); s++) {
            Step step = steps.get(s);
            long scratch = step.kernel().deviceScratchBytes();
            if (scratch > 0) {
                bytes[count + s] = scratch;
                first[count + s] = s;
                end[count + s] = s;
            }
            if (step.kernel() instanceof Transfer t) {
                int out = step.outputs()[0];
                int home = unified ? (t == Transfer.TO_DEVICE ? out : root[step.inputs()[0]]) : -1;
                if (home >= 0 && inStaging[home] >= 0) {
                    // A second download of the same device memory (another view of it): same slot.
                    staging[out] = inStaging[home];
                    continue;
                }
                staging[out] = stagingSize;
                stagingSize += MemoryPlanner.align(sizeOf(types[out]));
                if (home >= 0 && constants[home] == null && producer[home] >= 0) {
                    inStaging[home] = staging[out];
                    bytes[home] = -1;
                }
            }
        }
        MemoryPlanner.Placement p = MemoryPlanner.place(bytes, first, end);
        long[] offsets = java.util.Arrays.copyOf(p.offsets(), count);
        long[] scratchOffsets = java.util.Arrays.copyOfRange(p.offsets(), count, n);
        return new DevicePlan(runtime, onDevice, offsets, p.arenaBytes(), staging, stagingSize, scratchOffsets, inStaging);
    }

    private static long sizeOf(ValueType t) {
        ValueType.TensorType tt = (ValueType.TensorType) t;
        return tt.dtype().byteSize(tt.shape().toShape().size());
    }
}

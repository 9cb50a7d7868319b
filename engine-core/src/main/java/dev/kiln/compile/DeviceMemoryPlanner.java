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
        long stagingSize = 0;
        for (int s = 0; s < steps.size(); s++) {
            Step step = steps.get(s);
            long scratch = step.kernel().deviceScratchBytes();
            if (scratch > 0) {
                bytes[count + s] = scratch;
                first[count + s] = s;
                end[count + s] = s;
            }
            if (step.kernel() instanceof Transfer) {
                int out = step.outputs()[0];
                staging[out] = stagingSize;
                stagingSize += MemoryPlanner.align(sizeOf(types[out]));
            }
        }
        MemoryPlanner.Placement p = MemoryPlanner.place(bytes, first, end);
        long[] offsets = java.util.Arrays.copyOf(p.offsets(), count);
        long[] scratchOffsets = java.util.Arrays.copyOfRange(p.offsets(), count, n);
        return new DevicePlan(runtime, onDevice, offsets, p.arenaBytes(), staging, stagingSize, scratchOffsets);
    }

    private static long sizeOf(ValueType t) {
        ValueType.TensorType tt = (ValueType.TensorType) t;
        return tt.dtype().byteSize(tt.shape().toShape().size());
    }
}

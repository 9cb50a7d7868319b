package dev.kiln.exec;

import dev.kiln.compile.Plan;
import dev.kiln.tensor.Value;
import java.lang.foreign.MemorySegment;

/** The values of one execution of a plan; a subgraph's frame reads enclosing values through its parent. */
final class Frame {
    final Plan plan;
    final Frame parent;
    final Value[] values;
    final MemorySegment[] buffers;

    Frame(Plan plan, Frame parent) {
        this.plan = plan;
        this.parent = parent;
        this.values = new Value[plan.valueCount()];
        this.buffers = new MemorySegment[plan.valueCount()];
    }

    /** The value of {@code name} in this frame or the nearest enclosing one that has it. */
    Value lookup(String name) {
        for (Frame f = this; f != null; f = f.parent) {
            int id = f.plan.id(name);
            if (id >= 0 && f.values[id] != null) {
                return f.values[id];
            }
        }
        return null;
    }
}

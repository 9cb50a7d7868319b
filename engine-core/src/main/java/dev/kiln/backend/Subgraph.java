package dev.kiln.backend;

import dev.kiln.graph.ValueInfo;
import java.util.List;

/**
 * A compiled subgraph (the body of If, Loop or Scan), run by its node's kernel through
 * {@link KernelContext#run}. Values of enclosing graphs it reads are found at run time.
 */
public interface Subgraph {
    /** The formal inputs, in order. */
    List<ValueInfo> inputs();

    /** The outputs, in order. */
    List<ValueInfo> outputs();
}

package dev.kiln.compile;

import dev.kiln.backend.Device;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;

/**
 * One step of a plan: a node bound to a kernel, its inputs and outputs as value ids (-1 for an
 * absent input or unused output), and the buffers whose last use this step is.
 *
 * @param node the node
 * @param kernel the bound kernel ({@link Transfer} for a copy the compiler inserted)
 * @param backend the name of the backend that bound it
 * @param device where the kernel runs: {@link Device#CPU} for host kernels, the accelerator for
 *     device kernels and transfers
 * @param inputs input value ids
 * @param outputs output value ids
 * @param implicitInputs ids of enclosing-scope values the node's subgraphs read
 * @param release alias-root ids whose buffers are free after this step
 */
public record Step(Node node, Kernel kernel, String backend, Device device, int[] inputs, int[] outputs,
                   int[] implicitInputs, int[] release) {
    /** True when the kernel runs on a device that does not use host memory (transfers included). */
    public boolean onDevice() {
        return !device.hostMemory();
    }
}

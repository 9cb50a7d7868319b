package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;

/** Makes the kernel for one node at bind time; returns {@code null} to refuse. */
@FunctionalInterface
public interface KernelFactory {
    Kernel create(BindContext ctx);
}

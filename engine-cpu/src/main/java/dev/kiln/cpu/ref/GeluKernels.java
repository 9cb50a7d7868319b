package dev.kiln.cpu.ref;

/** {@code kiln.Gelu(X)}, the fused form of both GELU spellings ({@code approximate} none or tanh). */
final class GeluKernels {
    private GeluKernels() {
    }

    static void register(KernelRegistry r) {
        r.add("kiln", "Gelu", b -> b.node().attrString("approximate", "none").equals("tanh")
                ? UnaryKernels.mapping(Epilogue::geluTanh, null)
                : UnaryKernels.mapping(Epilogue::gelu, null));
    }
}

package dev.kiln.cpu.ref;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The reference kernels by operator, filled by one explicit {@code register} call per operator
 * family (no reflection, no class-path scanning): to find where an operator lives, grep for its
 * name in quotes.
 */
public final class KernelRegistry {
    private final Map<String, KernelFactory> factories = new HashMap<>();

    /** The registry of every reference kernel. */
    public static KernelRegistry reference() {
        KernelRegistry r = new KernelRegistry();
        UnaryKernels.register(r);
        BinaryKernels.register(r);
        CastKernels.register(r);
        ShapeKernels.register(r);
        DataMovementKernels.register(r);
        GeneratorKernels.register(r);
        MatMulKernels.register(r);
        ConvKernels.register(r);
        PoolKernels.register(r);
        NormalizationKernels.register(r);
        LossKernels.register(r);
        AttentionKernels.register(r);
        RecurrentKernels.register(r);
        SamplingKernels.register(r);
        DetectionKernels.register(r);
        LinearAttentionKernels.register(r);
        GatedActivationKernels.register(r);
        SoftmaxKernels.register(r);
        ReduceKernels.register(r);
        ResizeKernels.register(r);
        QuantizeKernels.register(r);
        ControlFlowKernels.register(r);
        SequenceKernels.register(r);
        OptionalKernels.register(r);
        StringKernels.register(r);
        MlKernels.register(r);
        RandomKernels.register(r);
        ImageKernels.register(r);
        IndexingKernels.register(r);
        ScatterKernels.register(r);
        SortKernels.register(r);
        PadKernels.register(r);
        RearrangeKernels.register(r);
        CumulativeKernels.register(r);
        LinalgKernels.register(r);
        EinsumKernels.register(r);
        SignalKernels.register(r);
        TrainingKernels.register(r);
        FusedConvKernels.register(r);
        FusedMatMulKernels.register(r);
        FusedNormalizationKernels.register(r);
        GeluKernels.register(r);
        StreamingAttentionKernels.register(r);
        ElementwiseChainKernels.register(r);
        return r;
    }

    /** Registers a factory for operators of the default domain. */
    public void onnx(KernelFactory f, String... opTypes) {
        for (String op : opTypes) {
            add("", op, f);
        }
    }

    /** Registers a factory for {@code domain.opType}. */
    public void add(String domain, String opType, KernelFactory f) {
        if (factories.put(key(domain, opType), f) != null) {
            throw new IllegalStateException("two kernels registered for " + key(domain, opType));
        }
    }

    /** The factory for {@code domain.opType}, or {@code null}. */
    public KernelFactory get(String domain, String opType) {
        return factories.get(key(domain, opType));
    }

    /** Every registered {@code domain:opType}. */
    public Set<String> keys() {
        return Set.copyOf(factories.keySet());
    }

    private static String key(String domain, String opType) {
        return (domain.equals("ai.onnx") ? "" : domain) + ":" + opType;
    }
}

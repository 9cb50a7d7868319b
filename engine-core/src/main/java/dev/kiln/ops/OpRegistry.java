package dev.kiln.ops;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Answers "what does op X mean at opset N". The version table is generated from the ONNX
 * specification's changelogs ({@code opset-versions.tsv}); inference functions are registered
 * by one class per operator family, listed explicitly in {@link #standard()}.
 */
public final class OpRegistry {
    /** The newest default-domain opset Kiln knows the operator versions of. */
    public static final int MAX_ONNX_OPSET = 28;
    /** The newest ai.onnx.ml opset Kiln knows. */
    public static final int MAX_ML_OPSET = 5;

    private static final OpRegistry STANDARD = build();

    private final Map<String, OpSchema> schemas = new HashMap<>();

    private OpRegistry() {
    }

    /** The registry of the standard ONNX domains. */
    public static OpRegistry standard() {
        return STANDARD;
    }

    private static OpRegistry build() {
        OpRegistry r = new OpRegistry();
        Map<String, ShapeInference> inference = new HashMap<>();
        Registrar reg = (domain, op, fn) -> inference.put(key(domain, op), fn);
        ElementwiseInference.register(reg);
        TensorInference.register(reg);
        NnInference.register(reg);
        MathInference.register(reg);
        IndexingInference.register(reg);
        LayoutInference.register(reg);
        SignalInference.register(reg);
        LossInference.register(reg);
        AttentionInference.register(reg);
        RecurrentInference.register(reg);
        ControlFlowInference.register(reg);
        SequenceInference.register(reg);
        StringInference.register(reg);
        MlInference.register(reg);
        RandomInference.register(reg);
        VisionInference.register(reg);
        QuantizeInference.register(reg);
        KilnInference.register(reg);
        try (InputStream in = OpRegistry.class.getResourceAsStream("opset-versions.tsv");
             BufferedReader br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = br.readLine()) != null) {
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t");
                String domain = f[0].equals("ai.onnx") ? "" : f[0];
                String[] vs = f[2].split(" ");
                int[] versions = new int[vs.length];
                for (int i = 0; i < vs.length; i++) {
                    versions[i] = Integer.parseInt(vs[i]);
                }
                String k = key(domain, f[1]);
                r.schemas.put(k, new OpSchema(domain, f[1], versions, inference.remove(k)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Kiln's own (fused) operators have no spec changelog; they start at version 1.
        inference.forEach((k, fn) -> {
            int c = k.indexOf(':');
            r.schemas.put(k, new OpSchema(k.substring(0, c), k.substring(c + 1), new int[] {1}, fn));
        });
        return r;
    }

    /** The schema of {@code domain.opType}, or {@code null} when Kiln does not know the operator. */
    public OpSchema get(String domain, String opType) {
        return schemas.get(key(domain, opType));
    }

    /** The newest opset of a domain that this registry knows, or -1 for an unknown domain. */
    public static int maxOpset(String domain) {
        return switch (domain) {
            case "", "ai.onnx" -> MAX_ONNX_OPSET;
            case "ai.onnx.ml" -> MAX_ML_OPSET;
            case "ai.onnx.preview", "ai.onnx.preview.training", "kiln", "com.microsoft" -> Integer.MAX_VALUE;
            default -> -1;
        };
    }

    static String key(String domain, String opType) {
        return (domain.equals("ai.onnx") ? "" : domain) + ":" + opType;
    }

    /** How inference families register their functions. */
    @FunctionalInterface
    interface Registrar {
        void add(String domain, String opType, ShapeInference fn);

        default void onnx(ShapeInference fn, String... opTypes) {
            for (String op : opTypes) {
                add("", op, fn);
            }
        }
    }
}

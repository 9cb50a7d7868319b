package dev.kiln.opt;

import dev.kiln.opt.passes.CommonSubexpressionElimination;
import dev.kiln.opt.passes.ConstantFolding;
import dev.kiln.opt.passes.DeadCodeElimination;
import dev.kiln.opt.passes.ShapeSimplification;
import dev.kiln.opt.rules.FoldAffineIntoBatchNorm;
import dev.kiln.opt.rules.FoldBatchNormIntoConv;
import dev.kiln.opt.rules.FoldScaleIntoConv;
import dev.kiln.opt.rules.FuseActivation;
import dev.kiln.opt.rules.FuseAttention;
import dev.kiln.opt.rules.FuseConvBias;
import dev.kiln.opt.rules.FuseConvHardSwish;
import dev.kiln.opt.rules.FuseElementwiseChain;
import dev.kiln.opt.rules.FuseGeluErf;
import dev.kiln.opt.rules.FuseGeluTanh;
import dev.kiln.opt.rules.FuseLayerNorm;
import dev.kiln.opt.rules.FuseLinear;
import dev.kiln.opt.rules.FuseResidualAdd;
import dev.kiln.opt.rules.FuseSkipLayerNorm;
import dev.kiln.opt.rules.MergeReshapes;
import dev.kiln.opt.rules.MergeTransposes;
import dev.kiln.opt.rules.RemoveDropout;
import dev.kiln.opt.rules.RemoveIdentity;
import dev.kiln.opt.rules.RemoveIdentityTranspose;
import dev.kiln.opt.rules.RemoveNoOpCast;
import dev.kiln.opt.rules.RemoveNoOpReshape;
import dev.kiln.opt.rules.SinkTranspose;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The built-in passes by name, and the standard pipeline ({@code "all"}). Order matters: shape
 * simplification makes reshape targets constant before the attention pattern is looked for;
 * GELU and layer norm are recognized before epilogue fusion absorbs activations into the
 * matrix products; elementwise chains are merged last, from what the patterns left.
 */
public final class Passes {
    private static final Map<String, Supplier<Pass>> CATALOG = new LinkedHashMap<>();

    static {
        add(() -> new RulePass("identity-elimination", List.of(new RemoveIdentity(), new RemoveDropout(),
                new RemoveNoOpCast(), new RemoveNoOpReshape())));
        add(ConstantFolding::new);
        add(ShapeSimplification::new);
        add(CommonSubexpressionElimination::new);
        add(DeadCodeElimination::new);
        add(() -> new RulePass("transpose-reshape", List.of(new MergeTransposes(), new RemoveIdentityTranspose(),
                new SinkTranspose(), new MergeReshapes(), new RemoveNoOpReshape())));
        add(() -> new RulePass("conv-batchnorm", List.of(new FoldBatchNormIntoConv(), new FoldAffineIntoBatchNorm(),
                new FoldScaleIntoConv())));
        add(() -> new RulePass("layer-norm", List.of(new FuseLayerNorm())));
        add(() -> new RulePass("gelu", List.of(new FuseGeluErf(), new FuseGeluTanh())));
        add(() -> new RulePass("attention", List.of(new FuseAttention())));
        add(() -> new RulePass("skip-layer-norm", List.of(new FuseSkipLayerNorm())));
        add(() -> new RulePass("epilogue", List.of(new FuseConvBias(), new FuseLinear(), new FuseResidualAdd(),
                new FuseConvHardSwish(), new FuseActivation())));
        add(() -> new RulePass("elementwise-chain", List.of(new FuseElementwiseChain())));
    }

    /** The standard pipeline: every pass once, in catalog order, then dead code again. */
    private static final List<String> ALL;

    static {
        List<String> all = new ArrayList<>(CATALOG.keySet());
        all.add("dead-code");
        ALL = List.copyOf(all);
    }

    private Passes() {
    }

    private static void add(Supplier<Pass> s) {
        CATALOG.put(s.get().name(), s);
    }

    /** The names of the built-in passes. */
    public static List<String> names() {
        return List.copyOf(CATALOG.keySet());
    }

    /** The passes {@code "all"} stands for, in order. */
    public static List<String> standard() {
        return ALL;
    }

    /** A new instance of the built-in pass {@code name}, or {@code null}. */
    public static Pass byName(String name) {
        Supplier<Pass> s = CATALOG.get(name);
        return s == null ? null : s.get();
    }

    /**
     * The passes a selection stands for (see {@link dev.kiln.Options#passes}), as new instances.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static List<Pass> select(List<String> selection) {
        List<String> names = new ArrayList<>();
        for (String s : selection) {
            switch (s) {
                case "all" -> names.addAll(ALL);
                case "none" -> names.clear();
                default -> {
                    boolean remove = s.startsWith("-");
                    String name = remove ? s.substring(1) : s;
                    if (!CATALOG.containsKey(name)) {
                        throw new IllegalArgumentException("unknown optimization pass '" + name + "'; known passes: all, none, "
                                + String.join(", ", CATALOG.keySet()));
                    }
                    if (remove) {
                        names.removeIf(name::equals);
                    } else {
                        names.add(name);
                    }
                }
            }
        }
        List<Pass> r = new ArrayList<>();
        for (String n : names) {
            r.add(byName(n));
        }
        return r;
    }
}

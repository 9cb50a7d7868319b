package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.graph.Node;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * {@code ai.onnx.ml.TreeEnsemble} (ml opset 5): each row of {@code X} walks every tree from its
 * root to a leaf; a leaf adds its weight to its target, and the per-target results are
 * aggregated (sum, average, min or max) and post-transformed.
 */
final class TreeEnsemble {
    private static final int LEQ = 0;
    private static final int LT = 1;
    private static final int GTE = 2;
    private static final int GT = 3;
    private static final int EQ = 4;
    private static final int NEQ = 5;
    private static final int MEMBER = 6;

    private final int[] featureIds;
    private final int[] modes;
    private final double[] splits;
    private final double[][] members;
    private final boolean[] missingTrue;
    private final int[] trueIds;
    private final boolean[] trueLeaf;
    private final int[] falseIds;
    private final boolean[] falseLeaf;
    private final int[] roots;
    private final int[] leafTargets;
    private final double[] leafWeights;
    private final int targets;
    private final int aggregate;
    private final int postTransform;

    private TreeEnsemble(Node n) {
        featureIds = ints(n, "nodes_featureids");
        int count = featureIds.length;
        Tensor modeTensor = required(n.attrTensor("nodes_modes"), "nodes_modes");
        modes = new int[count];
        Tensor splitTensor = required(n.attrTensor("nodes_splits"), "nodes_splits");
        splits = new double[count];
        if (modeTensor.size() != count || splitTensor.size() != count) {
            throw new ModelFormatException("TreeEnsemble nodes_* attributes differ in length");
        }
        for (int i = 0; i < count; i++) {
            modes[i] = (int) modeTensor.getLong(i);
            splits[i] = splitTensor.getDouble(i);
            if (modes[i] < LEQ || modes[i] > MEMBER) {
                throw new ModelFormatException("TreeEnsemble node mode " + modes[i] + " is unknown");
            }
        }
        members = memberSets(n, modes);
        long[] missing = n.attrInts("nodes_missing_value_tracks_true");
        missingTrue = new boolean[count];
        for (int i = 0; missing != null && i < count; i++) {
            missingTrue[i] = missing[i] != 0;
        }
        trueIds = ints(n, "nodes_truenodeids");
        trueLeaf = flags(n, "nodes_trueleafs");
        falseIds = ints(n, "nodes_falsenodeids");
        falseLeaf = flags(n, "nodes_falseleafs");
        roots = ints(n, "tree_roots");
        leafTargets = ints(n, "leaf_targetids");
        Tensor weights = required(n.attrTensor("leaf_weights"), "leaf_weights");
        leafWeights = weights.toDoubleArray();
        targets = (int) n.attrInt("n_targets", 1);
        aggregate = (int) n.attrInt("aggregate_function", 1);
        postTransform = (int) n.attrInt("post_transform", 0);
        validate(count);
    }

    static Kernel bind(BindContext b) {
        TreeEnsemble t = new TreeEnsemble(b.node());
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() != 2) {
                throw new IllegalArgumentException("TreeEnsemble takes an [N, F] input, got " + x.shape());
            }
            long rows = x.shape().dim(0);
            int features = (int) x.shape().dim(1);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(rows, t.targets));
            double[] row = new double[features];
            double[] out = new double[t.targets];
            for (long r = 0; r < rows; r++) {
                for (int f = 0; f < features; f++) {
                    row[f] = x.getDouble(r * features + f);
                }
                t.predict(row, out);
                for (int j = 0; j < t.targets; j++) {
                    y.setDouble(r * t.targets + j, out[j]);
                }
            }
        };
    }

    private void predict(double[] x, double[] out) {
        double[] acc = new double[targets];
        boolean[] seen = new boolean[targets];
        for (int root : roots) {
            int leaf = leafOf(root, x);
            int target = leafTargets[leaf];
            double w = leafWeights[leaf];
            if (!seen[target]) {
                acc[target] = w;
                seen[target] = true;
            } else {
                acc[target] = switch (aggregate) {
                    case 2 -> Math.min(acc[target], w);
                    case 3 -> Math.max(acc[target], w);
                    default -> acc[target] + w;
                };
            }
        }
        if (aggregate == 0) {
            for (int j = 0; j < targets; j++) {
                acc[j] /= roots.length;
            }
        }
        PostTransform.apply(postTransform, acc, out);
    }

    /** Follows one tree from {@code node} to its leaf; the walk is bounded, so a cycle fails instead of hanging. */
    private int leafOf(int node, double[] x) {
        for (int steps = 0; steps <= featureIds.length; steps++) {
            int f = featureIds[node];
            if (f < 0 || f >= x.length) {
                throw new IllegalArgumentException("TreeEnsemble node " + node + " reads feature " + f + " of " + x.length);
            }
            boolean go = decide(node, x[f]);
            boolean leaf = go ? trueLeaf[node] : falseLeaf[node];
            int next = go ? trueIds[node] : falseIds[node];
            if (leaf) {
                return next;
            }
            node = next;
        }
        throw new IllegalArgumentException("TreeEnsemble trees contain a cycle");
    }

    private boolean decide(int node, double v) {
        if (Double.isNaN(v)) {
            return missingTrue[node];
        }
        double s = splits[node];
        return switch (modes[node]) {
            case LEQ -> v <= s;
            case LT -> v < s;
            case GTE -> v >= s;
            case GT -> v > s;
            case EQ -> v == s;
            case NEQ -> v != s;
            default -> contains(members[node], v);
        };
    }

    private static boolean contains(double[] set, double v) {
        for (double m : set) {
            if (m == v) {
                return true;
            }
        }
        return false;
    }

    /** Splits membership_values at its NaNs into one set per BRANCH_MEMBER node, in node order. */
    private static double[][] memberSets(Node n, int[] modes) {
        double[][] sets = new double[modes.length][];
        Tensor values = n.attrTensor("membership_values");
        double[] all = values == null ? new double[0] : values.toDoubleArray();
        int pos = 0;
        for (int i = 0; i < modes.length; i++) {
            if (modes[i] != MEMBER) {
                continue;
            }
            if (pos > all.length) {
                throw new ModelFormatException("TreeEnsemble membership_values has fewer sets than BRANCH_MEMBER nodes");
            }
            int end = pos;
            while (end < all.length && !Double.isNaN(all[end])) {
                end++;
            }
            sets[i] = java.util.Arrays.copyOfRange(all, pos, end);
            pos = end + 1;
        }
        return sets;
    }

    private void validate(int count) {
        for (int[] a : new int[][] {trueIds, falseIds}) {
            if (a.length != count) {
                throw new ModelFormatException("TreeEnsemble nodes_* attributes differ in length");
            }
        }
        if (trueLeaf.length != count || falseLeaf.length != count) {
            throw new ModelFormatException("TreeEnsemble nodes_* attributes differ in length");
        }
        if (leafTargets.length != leafWeights.length) {
            throw new ModelFormatException("TreeEnsemble leaf_targetids and leaf_weights differ in length");
        }
        if (targets < 1 || aggregate < 0 || aggregate > 3 || postTransform < 0 || postTransform > 4) {
            throw new ModelFormatException("TreeEnsemble n_targets, aggregate_function or post_transform is invalid");
        }
        for (int i = 0; i < count; i++) {
            checkIndex(trueIds[i], trueLeaf[i] ? leafTargets.length : count);
            checkIndex(falseIds[i], falseLeaf[i] ? leafTargets.length : count);
        }
        for (int r : roots) {
            checkIndex(r, count);
        }
        for (int t : leafTargets) {
            checkIndex(t, targets);
        }
    }

    private static void checkIndex(int i, int size) {
        if (i < 0 || i >= size) {
            throw new ModelFormatException("TreeEnsemble index " + i + " is out of range [0, " + size + ")");
        }
    }

    private static Tensor required(Tensor t, String name) {
        if (t == null) {
            throw new ModelFormatException("TreeEnsemble needs the attribute " + name);
        }
        return t;
    }

    private static int[] ints(Node n, String name) {
        long[] v = n.attrInts(name);
        if (v == null) {
            throw new ModelFormatException("TreeEnsemble needs the attribute " + name);
        }
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    private static boolean[] flags(Node n, String name) {
        int[] v = ints(n, name);
        boolean[] r = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i] != 0;
        }
        return r;
    }
}

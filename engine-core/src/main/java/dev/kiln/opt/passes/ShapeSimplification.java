package dev.kiln.opt.passes;

import dev.kiln.graph.Node;
import dev.kiln.opt.Match;
import dev.kiln.opt.OptGraph;
import dev.kiln.opt.Pass;
import dev.kiln.opt.Patch;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.SymbolicShape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves shape computations that plain constant folding cannot, because the input shape is
 * only partly known ({@code [batch, ?, 384]}). It tracks small int64 tensors computed from
 * {@code Shape} through Gather, Unsqueeze, Squeeze, Concat, Slice and Cast as lists whose
 * elements are numbers or "dim i of value v" (with v's static dim, maybe a symbol), then
 * <ul>
 *   <li>turns such a value into a constant when every element is known (a known dim picked out
 *       of a partly symbolic shape), and</li>
 *   <li>gives a {@code Reshape} a constant target when each element is known, is the input's own
 *       dim at the same position (or the same symbol there), written {@code 0}, or is the one
 *       left to infer, written {@code -1}.</li>
 * </ul>
 * The {@code Shape → Gather → Unsqueeze → Concat} chains that fed them then die.
 */
public final class ShapeSimplification implements Pass {
    /**
     * One element of a shape value: a number (any sign), or dim {@code index} of value
     * {@code source} (whose static dim, possibly a symbol, is {@code dim}).
     */
    private record Elem(Long value, Dim dim, String source, int index) {
        static Elem of(long v) {
            return new Elem(v, null, null, -1);
        }

        boolean known() {
            return value != null;
        }
    }

    /** A shape value: its elements, and whether it is a scalar rather than a 1-D tensor. */
    private record ShapeValue(List<Elem> elems, boolean scalar) {
        boolean allKnown() {
            return elems.stream().allMatch(Elem::known);
        }
    }

    private static final int MAX_ELEMS = 16;

    @Override
    public String name() {
        return "shape-simplification";
    }

    @Override
    public boolean run(OptGraph g) {
        Map<String, ShapeValue> values = new HashMap<>();
        for (Node n : g.nodes()) {
            if (n.domain().isEmpty() && n.outputs().size() >= 1 && !n.outputs().get(0).isEmpty()) {
                ShapeValue v = evaluate(n, g, values);
                if (v != null && v.elems().size() <= MAX_ELEMS) {
                    values.put(n.outputs().get(0), v);
                }
            }
        }
        Patch.Builder p = Patch.builder();
        int count = 0;
        Set<String> folded = new HashSet<>();
        for (Node n : g.nodes()) {
            String out = n.outputs().isEmpty() ? "" : n.outputs().get(0);
            ShapeValue v = values.get(out);
            if (v != null && v.allKnown() && g.constant(out) == null && n.outputs().size() == 1
                    && g.dtype(out) == DType.INT64) {
                long[] data = v.elems().stream().mapToLong(Elem::value).toArray();
                p.remove(n).initializer(out, Tensor.ofLongs(v.scalar() ? new long[0] : new long[] {data.length}, data));
                folded.add(out);
                count++;
            } else if (n.domain().isEmpty() && n.opType().equals("Reshape") && g.constant(n.input(1)) == null
                    && !folded.contains(n.input(1))) {
                long[] target = target(n, g, values.get(n.input(1)));
                if (target != null) {
                    String name = g.freshName(n.input(1) + "/static");
                    p.remove(n).initializer(name, Tensor.ofLongs(new long[] {target.length}, target))
                            .add(n.withIo(List.of(n.input(0), name), n.outputs()));
                    count++;
                }
            }
        }
        if (count == 0) {
            return false;
        }
        g.apply(p.build(), name(), count);
        return true;
    }

    /** A constant Reshape target with the same meaning, or {@code null}. */
    private static long[] target(Node reshape, OptGraph g, ShapeValue v) {
        if (v == null || v.scalar()) {
            return null;
        }
        boolean allowZero = reshape.attrInt("allowzero", 0) != 0;
        SymbolicShape in = g.shape(reshape.input(0));
        long[] t = new long[v.elems().size()];
        int unresolved = -1;
        boolean inferAlready = false;
        for (int i = 0; i < t.length; i++) {
            Elem e = v.elems().get(i);
            if (e.known()) {
                t[i] = e.value();
                inferAlready |= e.value() == -1;
            } else if (!allowZero && copiesInputDim(e, reshape.input(0), in, i)) {
                t[i] = 0;
            } else if (unresolved < 0) {
                unresolved = i;
            } else {
                return null;
            }
        }
        if (unresolved >= 0) {
            if (inferAlready) {
                return null;
            }
            t[unresolved] = -1;
        }
        return t;
    }

    /** True when element {@code e} is certainly dim {@code i} of the Reshape's input {@code x}. */
    private static boolean copiesInputDim(Elem e, String x, SymbolicShape in, int i) {
        if (x.equals(e.source()) && e.index() == i) {
            return true;
        }
        return in != null && i < in.rank() && e.dim().isSymbol() && in.dim(i).isSymbol()
                && e.dim().symbolName().equals(in.dim(i).symbolName());
    }

    private static ShapeValue evaluate(Node n, OptGraph g, Map<String, ShapeValue> values) {
        return switch (n.opType()) {
            case "Shape" -> shape(n, g);
            case "Gather" -> gather(n, g, values);
            case "Unsqueeze" -> {
                ShapeValue x = get(n.input(0), g, values);
                yield x != null && x.scalar() ? new ShapeValue(x.elems(), false) : null;
            }
            case "Squeeze" -> {
                ShapeValue x = get(n.input(0), g, values);
                yield x != null && !x.scalar() && x.elems().size() == 1 ? new ShapeValue(x.elems(), true) : null;
            }
            case "Cast", "Identity" -> n.opType().equals("Cast") && Match.castTarget(n) != DType.INT64
                    ? null : get(n.input(0), g, values);
            case "Concat" -> concat(n, g, values);
            case "Slice" -> slice(n, g, values);
            default -> null;
        };
    }

    private static ShapeValue get(String name, OptGraph g, Map<String, ShapeValue> values) {
        ShapeValue v = values.get(name);
        if (v != null) {
            return v;
        }
        Tensor t = g.constant(name);
        if (t == null || t.rank() > 1 || t.size() > MAX_ELEMS || !t.dtype().isInteger()) {
            return null;
        }
        List<Elem> e = new ArrayList<>();
        for (long x : t.toLongArray()) {
            e.add(Elem.of(x));
        }
        return new ShapeValue(e, t.rank() == 0);
    }

    private static ShapeValue shape(Node n, OptGraph g) {
        SymbolicShape s = g.shape(n.input(0));
        if (s == null) {
            return null;
        }
        int rank = s.rank();
        int start = clamp(n.attrInt("start", 0), rank);
        int end = clamp(n.attrInt("end", rank), rank);
        List<Elem> e = new ArrayList<>();
        for (int i = start; i < end; i++) {
            Dim d = s.dim(i);
            e.add(d.isKnown() ? Elem.of(d.value()) : new Elem(null, d, n.input(0), i));
        }
        return new ShapeValue(e, false);
    }

    private static int clamp(long a, int rank) {
        long v = a < 0 ? a + rank : a;
        return (int) Math.max(0, Math.min(rank, v));
    }

    private static ShapeValue gather(Node n, OptGraph g, Map<String, ShapeValue> values) {
        ShapeValue data = get(n.input(0), g, values);
        Tensor idx = g.constant(n.input(1));
        if (data == null || data.scalar() || idx == null || idx.rank() > 1 || n.attrInt("axis", 0) != 0) {
            return null;
        }
        int size = data.elems().size();
        List<Elem> e = new ArrayList<>();
        for (long i : idx.toLongArray()) {
            long j = i < 0 ? i + size : i;
            if (j < 0 || j >= size) {
                return null;
            }
            e.add(data.elems().get((int) j));
        }
        return new ShapeValue(e, idx.rank() == 0);
    }

    private static ShapeValue concat(Node n, OptGraph g, Map<String, ShapeValue> values) {
        List<Elem> e = new ArrayList<>();
        for (String in : n.inputs()) {
            ShapeValue v = get(in, g, values);
            if (v == null || v.scalar()) {
                return null;
            }
            e.addAll(v.elems());
        }
        return new ShapeValue(e, false);
    }

    private static ShapeValue slice(Node n, OptGraph g, Map<String, ShapeValue> values) {
        ShapeValue data = get(n.input(0), g, values);
        if (data == null || data.scalar()) {
            return null;
        }
        long start;
        long end;
        long step = 1;
        if (n.attrInts("starts") != null) {
            long[] s = n.attrInts("starts");
            long[] e = n.attrInts("ends");
            if (s.length != 1 || e == null || e.length != 1) {
                return null;
            }
            start = s[0];
            end = e[0];
        } else {
            Tensor s = g.constant(n.input(1));
            Tensor e = g.constant(n.input(2));
            Tensor st = n.hasInput(4) ? g.constant(n.input(4)) : null;
            if (s == null || e == null || s.size() != 1 || e.size() != 1 || (n.hasInput(4) && (st == null || st.size() != 1))) {
                return null;
            }
            start = s.getLong(0);
            end = e.getLong(0);
            step = st == null ? 1 : st.getLong(0);
        }
        if (step != 1) {
            return null;
        }
        int size = data.elems().size();
        long b = Math.max(0, Math.min(size, start < 0 ? start + size : start));
        long f = Math.max(0, Math.min(size, end < 0 ? end + size : end));
        return new ShapeValue(new ArrayList<>(data.elems().subList((int) b, (int) Math.max(b, f))), false);
    }
}

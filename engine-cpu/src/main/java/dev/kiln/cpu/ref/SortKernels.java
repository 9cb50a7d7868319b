package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Operators that order elements: TopK and Unique, in the element order of {@link ElementOrder}. */
final class SortKernels {
    private SortKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(SortKernels::topK, "TopK");
        r.onnx(SortKernels::unique, "Unique");
    }

    // ------------------------------------------------------------------ TopK

    /** TopK: {@code k} is an attribute before opset 10; {@code largest} and {@code sorted} exist from 11. */
    private static Kernel topK(BindContext b) {
        long axisAttr = b.node().attrInt("axis", -1);
        boolean largest = b.opset() < 11 || b.node().attrInt("largest", 1) != 0;
        long attrK = b.node().attrInt("k", -1);
        boolean kIsAttr = b.opset() < 10;
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() == 0) {
                throw new IllegalArgumentException("TopK input must have rank >= 1");
            }
            int axis = Shape.normalizeAxis(axisAttr, x.rank());
            long count;
            if (kIsAttr) {
                count = attrK;
            } else {
                Tensor kt = k.tensor(1);
                if (kt.size() != 1) {
                    throw new IllegalArgumentException("TopK K must hold one value, got " + kt.shape());
                }
                count = kt.getLong(0);
            }
            long len = x.shape().dim(axis);
            if (count < 0 || count > len) {
                throw new IllegalArgumentException("TopK k = " + count + " is outside [0, " + len + "]");
            }
            long[] out = x.shape().dims();
            out[axis] = count;
            Tensor values = k.allocate(0, x.dtype(), Shape.of(out));
            Tensor indices = k.hasOutput(1) ? k.allocate(1, DType.INT64, Shape.of(out)) : null;
            long outer = x.shape().sizeBetween(0, axis);
            long inner = x.shape().sizeBetween(axis + 1, x.rank());
            ElementOrder order = ElementOrder.of(x.dtype());
            Integer[] ids = new Integer[Math.toIntExact(len)];
            for (long o = 0; o < outer; o++) {
                for (long in = 0; in < inner; in++) {
                    long base = o * len * inner + in;
                    for (int i = 0; i < ids.length; i++) {
                        ids[i] = i;
                    }
                    // A stable sort keeps equal values in index order, the tie-break the spec asks for.
                    Comparator<Integer> c = (i, j) -> order.compare(x, base + i * inner, x, base + j * inner);
                    Arrays.sort(ids, largest ? c.reversed() : c);
                    for (long j = 0; j < count; j++) {
                        long dst = (o * count + j) * inner + in;
                        Elements.copy(x, base + ids[(int) j] * inner, values, dst, 1);
                        if (indices != null) {
                            indices.setLong(dst, ids[(int) j]);
                        }
                    }
                }
            }
        };
    }

    // ------------------------------------------------------------------ Unique

    private static Kernel unique(BindContext b) {
        boolean hasAxis = b.node().attribute("axis") != null;
        long axisAttr = b.node().attrInt("axis", 0);
        boolean sorted = b.node().attrInt("sorted", 1) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            Shape s = hasAxis ? x.shape() : Shape.of(x.size());
            if (hasAxis && x.rank() == 0) {
                throw new IllegalArgumentException("Unique with an axis needs input of rank >= 1");
            }
            int axis = hasAxis ? Shape.normalizeAxis(axisAttr, x.rank()) : 0;
            int n = Math.toIntExact(s.dim(axis));
            long outer = s.sizeBetween(0, axis);
            long inner = s.sizeBetween(axis + 1, s.rank());
            ElementOrder order = ElementOrder.of(x.dtype());
            // Items are the slices along the axis, compared element by element in row-major order.
            Comparator<Integer> byValue = (i, j) -> {
                for (long o = 0; o < outer; o++) {
                    for (long in = 0; in < inner; in++) {
                        int c = order.compare(x, (o * n + i) * inner + in, x, (o * n + j) * inner + in);
                        if (c != 0) {
                            return c;
                        }
                    }
                }
                return 0;
            };
            Integer[] ids = new Integer[n];
            for (int i = 0; i < n; i++) {
                ids[i] = i;
            }
            Arrays.sort(ids, byValue);
            // Groups of equal items; the stable sort puts each group's first occurrence first.
            List<int[]> groups = new ArrayList<>();
            int[] groupOf = new int[n];
            for (int p = 0; p < n; ) {
                int q = p + 1;
                while (q < n && byValue.compare(ids[p], ids[q]) == 0) {
                    q++;
                }
                groups.add(new int[] {ids[p], q - p, p});
                p = q;
            }
            if (!sorted) {
                groups.sort(Comparator.comparingInt(g -> g[0]));
            }
            for (int g = 0; g < groups.size(); g++) {
                int[] grp = groups.get(g);
                for (int p = grp[2]; p < grp[2] + grp[1]; p++) {
                    groupOf[ids[p]] = g;
                }
            }
            int u = groups.size();
            long[] yDims = s.dims();
            yDims[axis] = u;
            Tensor y = k.allocate(0, x.dtype(), Shape.of(yDims));
            for (long o = 0; o < outer; o++) {
                for (int g = 0; g < u; g++) {
                    Elements.copy(x, (o * n + groups.get(g)[0]) * inner, y, (o * u + g) * inner, inner);
                }
            }
            if (k.hasOutput(1)) {
                Tensor first = k.allocate(1, DType.INT64, Shape.of(u));
                for (int g = 0; g < u; g++) {
                    first.setLong(g, groups.get(g)[0]);
                }
            }
            if (k.hasOutput(2)) {
                Tensor inverse = k.allocate(2, DType.INT64, Shape.of(n));
                for (int i = 0; i < n; i++) {
                    inverse.setLong(i, groupOf[i]);
                }
            }
            if (k.hasOutput(3)) {
                Tensor counts = k.allocate(3, DType.INT64, Shape.of(u));
                for (int g = 0; g < u; g++) {
                    counts.setLong(g, groups.get(g)[1]);
                }
            }
        };
    }
}

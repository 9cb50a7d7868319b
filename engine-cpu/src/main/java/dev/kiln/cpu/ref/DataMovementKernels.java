package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.ops.Shapes;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/** Operators that rearrange elements: Transpose, Concat, Split, Slice, Gather, Expand, Tile. */
final class DataMovementKernels {
    private DataMovementKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(DataMovementKernels::transpose, "Transpose");
        r.onnx(DataMovementKernels::concat, "Concat");
        r.onnx(DataMovementKernels::split, "Split");
        r.onnx(DataMovementKernels::slice, "Slice");
        r.onnx(DataMovementKernels::gather, "Gather");
        r.onnx(b -> DataMovementKernels::expand, "Expand");
        r.onnx(b -> b.opset() < 6 ? DataMovementKernels::tileAlongAxis : DataMovementKernels::tile, "Tile");
    }

    // ------------------------------------------------------------------ Transpose

    private static Kernel transpose(BindContext b) {
        long[] perm = b.node().attrInts("perm");
        return k -> {
            Tensor x = k.tensor(0);
            int rank = x.rank();
            int[] p = new int[rank];
            for (int i = 0; i < rank; i++) {
                p[i] = perm == null ? rank - 1 - i : (int) perm[i];
            }
            checkPerm(p);
            long[] outDims = new long[rank];
            for (int i = 0; i < rank; i++) {
                outDims[i] = x.shape().dim(p[i]);
            }
            Tensor y = k.allocate(0, x.dtype(), Shape.of(outDims));
            transpose(x, y, p);
        };
    }

    private static void checkPerm(int[] p) {
        boolean[] seen = new boolean[p.length];
        for (int v : p) {
            if (v < 0 || v >= p.length || seen[v]) {
                throw new IllegalArgumentException("invalid permutation " + java.util.Arrays.toString(p));
            }
            seen[v] = true;
        }
    }

    /** Writes {@code x} permuted by {@code p} into {@code y}. */
    static void transpose(Tensor x, Tensor y, int[] p) {
        int rank = p.length;
        long total = y.size();
        if (total == 0) {
            return;
        }
        if (rank == 0) {
            Elements.copy(x, 0, y, 0, 1);
            return;
        }
        long[] inStrides = x.shape().strides();
        long[] dims = y.shape().dims();
        long[] st = new long[rank];
        for (int i = 0; i < rank; i++) {
            st[i] = inStrides[p[i]];
        }
        long row = dims[rank - 1];
        long step = st[rank - 1];
        long[] idx = new long[rank];
        long base = 0;
        for (long o = 0; o < total; o += row) {
            if (step == 1) {
                Elements.copy(x, base, y, o, row);
            } else {
                for (long j = 0; j < row; j++) {
                    Elements.copy(x, base + j * step, y, o + j, 1);
                }
            }
            for (int a = rank - 2; a >= 0; a--) {
                idx[a]++;
                base += st[a];
                if (idx[a] < dims[a]) {
                    break;
                }
                base -= st[a] * dims[a];
                idx[a] = 0;
            }
        }
    }

    // ------------------------------------------------------------------ Concat / Split

    /** Concat: the axis defaults to 1 before opset 4 and is required after. */
    private static Kernel concat(BindContext b) {
        long axisAttr = b.node().attrInt("axis", b.opset() < 4 ? 1 : Long.MIN_VALUE);
        return k -> {
            if (axisAttr == Long.MIN_VALUE) {
                throw new IllegalArgumentException("Concat requires the 'axis' attribute");
            }
            Tensor first = k.tensor(0);
            int rank = first.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long[] out = first.shape().dims();
            out[axis] = 0;
            for (int i = 0; i < k.inputCount(); i++) {
                Tensor t = k.tensor(i);
                if (t.rank() != rank || t.dtype() != first.dtype()) {
                    throw new IllegalArgumentException("Concat inputs " + first.dtype() + first.shape() + " and "
                            + t.dtype() + t.shape() + " do not match");
                }
                for (int d = 0; d < rank; d++) {
                    if (d != axis && t.shape().dim(d) != first.shape().dim(d)) {
                        throw new IllegalArgumentException("Concat inputs " + first.shape() + " and " + t.shape()
                                + " differ outside axis " + axis);
                    }
                }
                out[axis] += t.shape().dim(axis);
            }
            Shape os = Shape.of(out);
            Tensor y = k.allocate(0, first.dtype(), os);
            long outer = os.sizeBetween(0, axis);
            long inner = os.sizeBetween(axis + 1, rank);
            long outRow = out[axis] * inner;
            long offset = 0;
            for (int i = 0; i < k.inputCount(); i++) {
                Tensor t = k.tensor(i);
                long block = t.shape().dim(axis) * inner;
                for (long o = 0; o < outer; o++) {
                    Elements.copy(t, o * block, y, o * outRow + offset, block);
                }
                offset += block;
            }
        };
    }

    /** Split: sizes come from the second input (opset 1 and 13 on) or the 'split' attribute. */
    private static Kernel split(BindContext b) {
        long axisAttr = b.node().attrInt("axis", 0);
        long[] splitAttr = b.node().attrInts("split");
        long numOutputs = b.node().attrInt("num_outputs", 0);
        int outputs = b.node().outputs().size();
        boolean sizesInput = b.opset() >= 13 || b.opset() == 1;
        return k -> {
            Tensor x = k.tensor(0);
            int axis = Shape.normalizeAxis(axisAttr, x.rank());
            long len = x.shape().dim(axis);
            long[] sizes;
            if (sizesInput && k.hasInput(1)) {
                sizes = k.tensor(1).toLongArray();
            } else if (splitAttr != null) {
                sizes = splitAttr;
            } else {
                int n = numOutputs > 0 ? (int) numOutputs : outputs;
                sizes = new long[n];
                long chunk = numOutputs > 0 ? Math.ceilDiv(len, n) : len / n;
                if (numOutputs == 0 && len % n != 0) {
                    throw new IllegalArgumentException("cannot split " + len + " evenly into " + n);
                }
                long left = len;
                for (int i = 0; i < n; i++) {
                    sizes[i] = Math.min(chunk, left);
                    left -= sizes[i];
                }
            }
            long sum = 0;
            for (long s : sizes) {
                sum += s;
            }
            if (sum != len || sizes.length != outputs) {
                throw new IllegalArgumentException("split sizes " + java.util.Arrays.toString(sizes)
                        + " do not cover axis of " + len + " with " + outputs + " outputs");
            }
            long outer = x.shape().sizeBetween(0, axis);
            long inner = x.shape().sizeBetween(axis + 1, x.rank());
            long offset = 0;
            for (int i = 0; i < sizes.length; i++) {
                long[] d = x.shape().dims();
                d[axis] = sizes[i];
                Tensor y = k.allocate(i, x.dtype(), Shape.of(d));
                long block = sizes[i] * inner;
                for (long o = 0; o < outer; o++) {
                    Elements.copy(x, o * len * inner + offset, y, o * block, block);
                }
                offset += block;
            }
        };
    }

    // ------------------------------------------------------------------ Slice

    private static Kernel slice(BindContext b) {
        boolean attrs = b.opset() < 10;
        long[] aStarts = b.node().attrInts("starts");
        long[] aEnds = b.node().attrInts("ends");
        long[] aAxes = b.node().attrInts("axes");
        return k -> {
            Tensor x = k.tensor(0);
            long[] starts = attrs ? aStarts : k.tensor(1).toLongArray();
            long[] ends = attrs ? aEnds : k.tensor(2).toLongArray();
            long[] axes = attrs ? aAxes : k.hasInput(3) ? k.tensor(3).toLongArray() : null;
            long[] steps = !attrs && k.hasInput(4) ? k.tensor(4).toLongArray() : null;
            sliceInto(k, x, starts, ends, axes, steps);
        };
    }

    private static void sliceInto(KernelContext k, Tensor x, long[] starts, long[] ends, long[] axes, long[] steps) {
        int rank = x.rank();
        if (starts.length != ends.length || (axes != null && axes.length != starts.length)
                || (steps != null && steps.length != starts.length)) {
            throw new IllegalArgumentException("Slice starts, ends, axes and steps differ in length");
        }
        long[] st = new long[rank];
        long[] step = new long[rank];
        long[] len = x.shape().dims();
        java.util.Arrays.fill(step, 1);
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < starts.length; i++) {
            int a = axes == null ? i : Shape.normalizeAxis(axes[i], rank);
            if (seen[a]) {
                throw new IllegalArgumentException("Slice axis " + a + " repeated");
            }
            seen[a] = true;
            long s = steps == null ? 1 : steps[i];
            long[] sl = Shapes.slice(x.shape().dim(a), starts[i], ends[i], s);
            len[a] = sl[1];
            st[a] = sl[0];
            step[a] = s;
        }
        Shape os = Shape.of(len);
        Tensor y = k.allocate(0, x.dtype(), os);
        long total = os.size();
        if (total == 0) {
            return;
        }
        long[] inStrides = x.shape().strides();
        long[] idx = new long[rank];
        for (long o = 0; o < total; o++) {
            long src = 0;
            for (int a = 0; a < rank; a++) {
                src += (st[a] + idx[a] * step[a]) * inStrides[a];
            }
            Elements.copy(x, src, y, o, 1);
            for (int a = rank - 1; a >= 0; a--) {
                if (++idx[a] < len[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
    }

    // ------------------------------------------------------------------ Gather

    private static Kernel gather(BindContext b) {
        long axisAttr = b.node().attrInt("axis", 0);
        return k -> {
            Tensor data = k.tensor(0);
            Tensor idx = k.tensor(1);
            int rank = data.rank();
            int axis = Shape.normalizeAxis(axisAttr, rank);
            long[] out = new long[rank - 1 + idx.rank()];
            int j = 0;
            for (int i = 0; i < axis; i++) {
                out[j++] = data.shape().dim(i);
            }
            for (int i = 0; i < idx.rank(); i++) {
                out[j++] = idx.shape().dim(i);
            }
            for (int i = axis + 1; i < rank; i++) {
                out[j++] = data.shape().dim(i);
            }
            Tensor y = k.allocate(0, data.dtype(), Shape.of(out));
            long outer = data.shape().sizeBetween(0, axis);
            long inner = data.shape().sizeBetween(axis + 1, rank);
            long dim = data.shape().dim(axis);
            long n = idx.size();
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < n; i++) {
                    long v = idx.getLong(i);
                    if (v < -dim || v >= dim) {
                        throw new IllegalArgumentException("Gather index " + v + " out of range [" + -dim + ", " + dim + ")");
                    }
                    if (v < 0) {
                        v += dim;
                    }
                    Elements.copy(data, (o * dim + v) * inner, y, (o * n + i) * inner, inner);
                }
            }
        };
    }

    // ------------------------------------------------------------------ Expand / Tile

    private static void expand(KernelContext k) {
        Tensor x = k.tensor(0);
        Shape target = Shape.of(k.tensor(1).toLongArray());
        Shape out = Shapes.broadcast(x.shape(), target);
        Tensor y = k.allocate(0, x.dtype(), out);
        Broadcast.to(out, x.shape()).forEachRow((o, len, s, st) -> {
            if (st[0] == 1) {
                Elements.copy(x, s[0], y, o, len);
            } else {
                for (long i = 0; i < len; i++) {
                    Elements.copy(x, s[0], y, o + i, 1);
                }
            }
        });
    }

    /** Tile-1: scalar inputs {@code tiles} and {@code axis} repeat the tensor along one axis. */
    private static void tileAlongAxis(KernelContext k) {
        Tensor x = k.tensor(0);
        Tensor tiles = k.tensor(1);
        Tensor axisT = k.tensor(2);
        if (tiles.size() != 1 || axisT.size() != 1) {
            throw new IllegalArgumentException("Tile-1 tiles and axis must be scalars");
        }
        long[] reps = new long[x.rank()];
        java.util.Arrays.fill(reps, 1);
        reps[Shape.normalizeAxis(axisT.getLong(0), x.rank())] = tiles.getLong(0);
        tile(k, x, reps);
    }

    private static void tile(KernelContext k) {
        tile(k, k.tensor(0), k.tensor(1).toLongArray());
    }

    private static void tile(KernelContext k, Tensor x, long[] reps) {
        int rank = x.rank();
        if (reps.length != rank) {
            throw new IllegalArgumentException("Tile repeats has " + reps.length + " values for rank " + rank);
        }
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (reps[i] < 0) {
                throw new IllegalArgumentException("Tile repeats must not be negative");
            }
            out[i] = Math.multiplyExact(x.shape().dim(i), reps[i]);
        }
        Shape os = Shape.of(out);
        Tensor y = k.allocate(0, x.dtype(), os);
        long total = os.size();
        long[] inStrides = x.shape().strides();
        long[] idx = new long[rank];
        for (long o = 0; o < total; o++) {
            long src = 0;
            for (int a = 0; a < rank; a++) {
                src += (idx[a] % x.shape().dim(a)) * inStrides[a];
            }
            Elements.copy(x, src, y, o, 1);
            for (int a = rank - 1; a >= 0; a--) {
                if (++idx[a] < out[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
    }
}

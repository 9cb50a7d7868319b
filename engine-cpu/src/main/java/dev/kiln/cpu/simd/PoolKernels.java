package dev.kiln.cpu.simd;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.cpu.ref.ConvGeometry;
import dev.kiln.cpu.ref.KernelRegistry;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 2-D MaxPool (without the indices output) and AveragePool, computed separably over a
 * padded copy of each plane (-inf for max, 0 for average): across the kernel's columns, then
 * down its rows, vectorized along rows whatever the stride; and GlobalAveragePool /
 * GlobalMaxPool as one vector reduction per plane.
 */
final class PoolKernels {
    private PoolKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Each worker's padded plane, horizontal results and output row, grown on demand. */
    private static final class Buffers {
        float[] plane = new float[0];
        float[] across = new float[0];
        float[] row = new float[0];

        static float[] atLeast(float[] a, int n) {
            return a.length >= n ? a : new float[n];
        }
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    static void register(KernelRegistry r) {
        r.onnx(b -> pool(b, true), "MaxPool");
        r.onnx(b -> pool(b, false), "AveragePool");
        r.onnx(b -> global(b, false), "GlobalAveragePool");
        r.onnx(b -> global(b, true), "GlobalMaxPool");
    }

    private static Kernel pool(BindContext b, boolean max) {
        long[] kernel = b.node().attrInts("kernel_shape");
        boolean indices = b.node().outputs().size() > 1 && !b.node().outputs().get(1).isEmpty();
        if (!Float32.inputs(b, 0) || kernel == null || kernel.length != 2 || indices) {
            return null;
        }
        boolean includePad = b.node().attrInt("count_include_pad", 0) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, k.node().opType() + " input");
            if (x.rank() != 4) {
                throw new IllegalArgumentException(k.node().opType() + " input " + x.shape() + " does not match a 2-D kernel_shape");
            }
            ConvGeometry geo = ConvGeometry.of(k.node(), Arrays.copyOfRange(x.shape().dims(), 2, 4), kernel, true);
            ConvShape g = ConvShape.of(geo);
            long[] dims = x.shape().dims();
            dims[2] = g.outH();
            dims[3] = g.outW();
            Tensor y = k.allocate(0, x.dtype(), Shape.of(dims));
            float[] rowInv = max ? null : inverseCounts(g.outH(), g.inH(), g.kH(), g.strideH(), g.dilH(), g.padTop(),
                    geo.padEnd()[1], includePad);
            float[] colInv = max ? null : inverseCounts(g.outW(), g.inW(), g.kW(), g.strideW(), g.dilW(), g.padLeft(),
                    geo.padEnd()[2], includePad);
            run(k, x.data(), y.data(), Math.toIntExact(dims[0] * dims[1]), g, max, rowInv, colInv);
        };
    }

    /**
     * Per output position along one axis, 1 / (taps counted): taps inside the input, or inside
     * the padded input when the padding counts.
     */
    private static float[] inverseCounts(int out, int in, int k, int stride, int dil, int padBegin, long padEnd,
                                         boolean includePad) {
        int l = S.length();
        float[] r = new float[(out + l - 1) / l * l];
        for (int o = 0; o < out; o++) {
            int n = 0;
            for (int t = 0; t < k; t++) {
                int i = o * stride - padBegin + t * dil;
                boolean inside = includePad ? i >= -padBegin && i < in + padEnd : i >= 0 && i < in;
                if (inside) {
                    n++;
                }
            }
            r[o] = 1f / n;
        }
        return r;
    }

    /**
     * The window is separable: each padded input row is first reduced across the kernel's
     * columns at every column position (contiguous vector loads at each tap), then each output
     * row reduces those results down the kernel's rows, and the strided output columns are
     * picked from that. Every pass streams contiguous memory whatever the stride.
     */
    private static void run(KernelContext k, MemorySegment x, MemorySegment y, int planes, ConvShape g, boolean max,
                            float[] rowInv, float[] colInv) {
        int l = S.length();
        int spanH = Math.max(g.padTop() + g.inH(), (g.outH() - 1) * g.strideH() + (g.kH() - 1) * g.dilH() + 1);
        // Column positions whose window starts an output: 0, sw, ..., (outW - 1) sw, in whole vectors.
        int cols = ((g.outW() - 1) * g.strideW() + 1 + l - 1) / l * l;
        int width = Math.max(g.padLeft() + g.inW(), cols + (g.kW() - 1) * g.dilW());
        float fill = max ? Float.NEGATIVE_INFINITY : 0f;
        long perPlane = (long) g.outPlane() * g.window();
        k.parallel().forRange(planes, Math.max(1, (1 << 15) / Math.max(1, perPlane)), (s, e) -> {
            Buffers buf = BUFFERS.get();
            float[] plane = buf.plane = Buffers.atLeast(buf.plane, spanH * width);
            float[] across = buf.across = Buffers.atLeast(buf.across, spanH * cols);
            float[] row = buf.row = Buffers.atLeast(buf.row, cols);
            for (long p = s; p < e; p++) {
                // The padding: whole rows above and below, and each row's ends.
                Arrays.fill(plane, 0, g.padTop() * width, fill);
                Arrays.fill(plane, (g.padTop() + g.inH()) * width, spanH * width, fill);
                for (int ih = 0; ih < g.inH(); ih++) {
                    int at = (ih + g.padTop()) * width;
                    Arrays.fill(plane, at, at + g.padLeft(), fill);
                    MemorySegment.copy(x, Layouts.F32, (p * g.inPlane() + (long) ih * g.inW()) * 4, plane,
                            at + g.padLeft(), g.inW());
                    Arrays.fill(plane, at + g.padLeft() + g.inW(), at + width, fill);
                }
                for (int r = 0; r < spanH; r++) {
                    int in = r * width;
                    int out = r * cols;
                    for (int c = 0; c < cols; c += l) {
                        FloatVector acc = FloatVector.fromArray(S, plane, in + c);
                        for (int kw = 1; kw < g.kW(); kw++) {
                            FloatVector v = FloatVector.fromArray(S, plane, in + c + kw * g.dilW());
                            acc = max ? acc.max(v) : acc.add(v);
                        }
                        acc.intoArray(across, out + c);
                    }
                }
                for (int oh = 0; oh < g.outH(); oh++) {
                    int top = oh * g.strideH() * cols;
                    int down = g.dilH() * cols;
                    for (int c = 0; c < cols; c += l) {
                        FloatVector acc = FloatVector.fromArray(S, across, top + c);
                        for (int kh = 1; kh < g.kH(); kh++) {
                            FloatVector v = FloatVector.fromArray(S, across, top + kh * down + c);
                            acc = max ? acc.max(v) : acc.add(v);
                        }
                        if (!max) {
                            acc = acc.mul(rowInv[oh]);
                        }
                        acc.intoArray(row, c);
                    }
                    // Pick the strided columns in place (ow * sw >= ow), then scale them for average.
                    if (g.strideW() > 1) {
                        for (int ow = 1; ow < g.outW(); ow++) {
                            row[ow] = row[ow * g.strideW()];
                        }
                    }
                    if (!max) {
                        for (int ow = 0; ow < g.outW(); ow++) {
                            row[ow] *= colInv[ow];
                        }
                    }
                    MemorySegment.copy(row, 0, y, Layouts.F32, (p * g.outPlane() + (long) oh * g.outW()) * 4, g.outW());
                }
            }
        });
    }

    private static Kernel global(BindContext b, boolean max) {
        if (!Float32.inputs(b, 0)) {
            return null;
        }
        return k -> {
            Tensor x = k.tensor(0);
            Float32.require(x, k.node().opType() + " input");
            if (x.rank() < 2) {
                throw new IllegalArgumentException(k.node().opType() + " needs rank >= 2, got " + x.shape());
            }
            long[] dims = x.shape().dims();
            for (int i = 2; i < dims.length; i++) {
                dims[i] = 1;
            }
            Tensor y = k.allocate(0, x.dtype(), Shape.of(dims));
            long size = x.shape().sizeBetween(2, x.rank());
            long planes = dims[0] * dims[1];
            MemorySegment xs = x.data();
            MemorySegment ys = y.data();
            k.parallel().forRange(planes, Math.max(1, (1 << 15) / Math.max(1, size)), (s, e) -> {
                for (long p = s; p < e; p++) {
                    float v = reducePlane(xs, p * size, size, max);
                    ys.setAtIndex(Layouts.F32, p, max ? v : v / size);
                }
            });
        };
    }

    /** Sum or maximum (NaN-propagating) of a contiguous run. */
    private static float reducePlane(MemorySegment x, long off, long n, boolean max) {
        int l = S.length();
        long i = 0;
        FloatVector acc = FloatVector.broadcast(S, max ? Float.NEGATIVE_INFINITY : 0f);
        for (; i <= n - l; i += l) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (off + i) * 4, LE);
            acc = max ? acc.max(v) : acc.add(v);
        }
        float r = max ? acc.reduceLanes(VectorOperators.MAX) : VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            float v = x.getAtIndex(Layouts.F32, off + i);
            r = max ? (Float.isNaN(v) || Float.isNaN(r) ? Float.NaN : Math.max(r, v)) : r + v;
        }
        return r;
    }
}

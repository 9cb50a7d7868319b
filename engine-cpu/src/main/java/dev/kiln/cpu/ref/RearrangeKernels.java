package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Fixed permutations of elements: DepthToSpace and SpaceToDepth (a reshape, a transpose and a
 * reshape, as the spec defines them) and ReverseSequence.
 */
final class RearrangeKernels {
    private RearrangeKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(RearrangeKernels::depthToSpace, "DepthToSpace");
        r.onnx(RearrangeKernels::spaceToDepth, "SpaceToDepth");
        r.onnx(RearrangeKernels::reverseSequence, "ReverseSequence");
    }

    private static long blocksize(BindContext b) {
        long bs = b.node().attrInt("blocksize", 0);
        if (bs < 1) {
            throw new IllegalArgumentException(b.node().opType() + " needs a positive 'blocksize' attribute");
        }
        return bs;
    }

    private static long[] nchw(Tensor x, String op) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + " input must be 4-D [N,C,H,W], got " + x.shape());
        }
        return x.shape().dims();
    }

    /** DepthToSpace: DCR (the only order before opset 11, and the default) or CRD. */
    private static Kernel depthToSpace(BindContext b) {
        long bs = blocksize(b);
        String mode = b.opset() >= 11 ? b.node().attrString("mode", "DCR") : "DCR";
        if (!mode.equals("DCR") && !mode.equals("CRD")) {
            throw new IllegalArgumentException("DepthToSpace mode '" + mode + "' is not DCR or CRD");
        }
        boolean dcr = mode.equals("DCR");
        return k -> {
            Tensor x = k.tensor(0);
            long[] d = nchw(x, "DepthToSpace");
            if (d[1] % (bs * bs) != 0) {
                throw new IllegalArgumentException("DepthToSpace channels " + d[1] + " are not a multiple of "
                        + bs + "^2");
            }
            long c = d[1] / (bs * bs);
            Tensor view = x.reshape(dcr ? Shape.of(d[0], bs, bs, c, d[2], d[3]) : Shape.of(d[0], c, bs, bs, d[2], d[3]));
            int[] perm = dcr ? new int[] {0, 3, 4, 1, 5, 2} : new int[] {0, 1, 4, 2, 5, 3};
            Shape out = Shape.of(d[0], c, d[2] * bs, d[3] * bs);
            Tensor y = k.allocate(0, x.dtype(), out);
            DataMovementKernels.transpose(view, y.reshape(permuted(view.shape(), perm)), perm);
        };
    }

    private static Kernel spaceToDepth(BindContext b) {
        long bs = blocksize(b);
        return k -> {
            Tensor x = k.tensor(0);
            long[] d = nchw(x, "SpaceToDepth");
            if (d[2] % bs != 0 || d[3] % bs != 0) {
                throw new IllegalArgumentException("SpaceToDepth height and width " + d[2] + "x" + d[3]
                        + " are not multiples of " + bs);
            }
            Tensor view = x.reshape(Shape.of(d[0], d[1], d[2] / bs, bs, d[3] / bs, bs));
            int[] perm = {0, 3, 5, 1, 2, 4};
            Shape out = Shape.of(d[0], d[1] * bs * bs, d[2] / bs, d[3] / bs);
            Tensor y = k.allocate(0, x.dtype(), out);
            DataMovementKernels.transpose(view, y.reshape(permuted(view.shape(), perm)), perm);
        };
    }

    private static Shape permuted(Shape s, int[] perm) {
        long[] d = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            d[i] = s.dim(perm[i]);
        }
        return Shape.of(d);
    }

    private static Kernel reverseSequence(BindContext b) {
        long batchAxis = b.node().attrInt("batch_axis", 1);
        long timeAxis = b.node().attrInt("time_axis", 0);
        if (!(batchAxis == 0 && timeAxis == 1 || batchAxis == 1 && timeAxis == 0)) {
            throw new IllegalArgumentException("ReverseSequence axes must be batch_axis=1, time_axis=0 or the reverse; got "
                    + batchAxis + ", " + timeAxis);
        }
        return k -> {
            Tensor x = k.tensor(0);
            Tensor lens = k.tensor(1);
            if (x.rank() < 2) {
                throw new IllegalArgumentException("ReverseSequence input must have rank >= 2, got " + x.shape());
            }
            long batch = x.shape().dim((int) batchAxis);
            long time = x.shape().dim((int) timeAxis);
            if (lens.rank() != 1 || lens.size() != batch) {
                throw new IllegalArgumentException("ReverseSequence sequence_lens " + lens.shape() + " for batch " + batch);
            }
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            long inner = x.shape().sizeBetween(2, x.rank());
            long batchStride = (batchAxis == 0 ? time : 1) * inner;
            long timeStride = (timeAxis == 0 ? batch : 1) * inner;
            for (long bi = 0; bi < batch; bi++) {
                long len = lens.getLong(bi);
                if (len < 0 || len > time) {
                    throw new IllegalArgumentException("ReverseSequence length " + len + " outside [0, " + time + "]");
                }
                for (long t = 0; t < time; t++) {
                    long src = t < len ? len - 1 - t : t;
                    Elements.copy(x, bi * batchStride + src * timeStride, y, bi * batchStride + t * timeStride, inner);
                }
            }
        };
    }
}

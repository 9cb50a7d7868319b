package dev.kiln.cpu.ref;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * Moves slabs of a tensor along one axis: taking one index out (the iterated element of Scan),
 * stacking equal-shaped parts along a new axis (scan outputs, ConcatFromSequence with
 * {@code new_axis}) and concatenating or splitting along an existing one (sequences). A tensor
 * is seen as {@code [outer, axisLength, inner]} around the axis.
 */
final class AxisSlices {
    private AxisSlices() {
    }

    /** The sub-tensor at {@code index} along {@code axis}, one rank lower, in new memory. */
    static Tensor take(Tensor x, int axis, long index) {
        long[] dims = x.shape().dims();
        long len = dims[axis];
        if (index < 0 || index >= len) {
            throw new IllegalArgumentException("index " + index + " out of range for axis " + axis + " of " + x.shape());
        }
        Tensor y = Tensor.allocate(x.dtype(), Shape.of(without(dims, axis)));
        copyBlocks(x, len, index, y, 1, 0, x.shape().sizeBetween(0, axis), 1,
                x.shape().sizeBetween(axis + 1, x.rank()));
        return y;
    }

    /**
     * Copies {@code count} positions along an axis: {@code src} has {@code srcLen} positions and
     * the copy starts at {@code srcStart}, {@code dst} has {@code dstLen} and receives them from
     * {@code dstStart}; {@code outer} and {@code inner} are the element counts before and after
     * the axis, equal in both tensors.
     */
    static void copyBlocks(Tensor src, long srcLen, long srcStart, Tensor dst, long dstLen, long dstStart,
                           long outer, long count, long inner) {
        long block = count * inner;
        if (block == 0) {
            return;
        }
        for (long o = 0; o < outer; o++) {
            Elements.copy(src, (o * srcLen + srcStart) * inner, dst, (o * dstLen + dstStart) * inner, block);
        }
    }

    /**
     * Writes {@code parts} (all of one type and shape) into {@code dst}, whose shape is the part
     * shape with a new axis of length {@code parts.size()} inserted at {@code axis}.
     */
    static void stack(List<Tensor> parts, Tensor dst, int axis) {
        long outer = dst.shape().sizeBetween(0, axis);
        long inner = dst.shape().sizeBetween(axis + 1, dst.rank());
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            if (p.dtype() != dst.dtype() || p.size() * parts.size() != dst.size()) {
                throw new IllegalArgumentException("cannot stack " + p.dtype() + p.shape() + " into " + dst.dtype()
                        + dst.shape());
            }
            copyBlocks(p, 1, 0, dst, parts.size(), i, outer, 1, inner);
        }
    }

    /**
     * The shape of {@code parts} stacked along a new axis at {@code axis}.
     *
     * @throws IllegalArgumentException unless every part has {@code dtype} and the first part's shape
     */
    static Shape stackedShape(List<Tensor> parts, int axis, DType dtype) {
        Tensor first = parts.get(0);
        for (Tensor p : parts) {
            if (p.dtype() != dtype || !p.shape().equals(first.shape())) {
                throw new IllegalArgumentException("cannot stack " + p.dtype() + p.shape() + " with " + dtype
                        + first.shape() + ": every part must have the same type and shape");
            }
        }
        return Shape.of(with(first.shape().dims(), axis, parts.size()));
    }

    /** {@code dims} without position {@code axis}. */
    static long[] without(long[] dims, int axis) {
        long[] out = new long[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) {
            if (i != axis) {
                out[j++] = dims[i];
            }
        }
        return out;
    }

    /** {@code dims} with {@code value} inserted at position {@code axis}. */
    static long[] with(long[] dims, int axis, long value) {
        long[] out = new long[dims.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) {
            out[i] = i == axis ? value : dims[j++];
        }
        return out;
    }
}

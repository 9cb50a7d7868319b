package dev.kiln.cpu.ref;

import dev.kiln.backend.KernelContext;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.Arrays;

/** Linear algebra beyond products: Det. */
final class LinalgKernels {
    private LinalgKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(b -> LinalgKernels::det, "Det");
    }

    /** Det of each trailing M x M matrix, by LU decomposition with partial pivoting in double. */
    private static void det(KernelContext k) {
        Tensor x = k.tensor(0);
        if (x.rank() < 2 || x.shape().dim(-1) != x.shape().dim(-2)) {
            throw new IllegalArgumentException("Det input must be [*, M, M], got " + x.shape());
        }
        if (!x.dtype().isFloat()) {
            throw new IllegalArgumentException("Det is not defined for " + x.dtype() + " tensors");
        }
        int m = Math.toIntExact(x.shape().dim(-1));
        Shape out = Shape.of(Arrays.copyOf(x.shape().dims(), x.rank() - 2));
        Tensor y = k.allocate(0, x.dtype(), out);
        double[] a = new double[Math.multiplyExact(m, m)];
        for (long b = 0; b < out.size(); b++) {
            for (int i = 0; i < a.length; i++) {
                a[i] = x.getDouble(b * a.length + i);
            }
            y.setDouble(b, determinant(a, m));
        }
    }

    /** The determinant of the row-major {@code m x m} matrix {@code a}, which it overwrites. */
    static double determinant(double[] a, int m) {
        double det = 1;
        for (int c = 0; c < m; c++) {
            int pivot = c;
            for (int r = c + 1; r < m; r++) {
                if (Math.abs(a[r * m + c]) > Math.abs(a[pivot * m + c])) {
                    pivot = r;
                }
            }
            double p = a[pivot * m + c];
            if (p == 0) {
                return 0;
            }
            if (pivot != c) {
                for (int j = 0; j < m; j++) {
                    double t = a[c * m + j];
                    a[c * m + j] = a[pivot * m + j];
                    a[pivot * m + j] = t;
                }
                det = -det;
            }
            det *= p;
            for (int r = c + 1; r < m; r++) {
                double f = a[r * m + c] / p;
                if (f != 0) {
                    for (int j = c + 1; j < m; j++) {
                        a[r * m + j] -= f * a[c * m + j];
                    }
                }
            }
        }
        return det;
    }
}

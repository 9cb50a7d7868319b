package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SignalKernelsTest {

    private static long[] s(long... d) {
        return d;
    }

    private static Tensor dft(NodeRunner r, Tensor x, long axis) {
        return r.run1(x, null, Tensor.scalar(axis));
    }

    @Test
    void dftOfAnImpulseIsFlatAndOfACosineHasTwoPeaks() {
        int n = 7;
        double[] impulse = new double[n];
        impulse[0] = 1;
        Tensor y = dft(NodeRunner.op("DFT"), Tensor.ofDoubles(s(1, n, 1), impulse), 1);
        assertEquals(Shape.of(1, n, 2), y.shape());
        for (int k = 0; k < n; k++) {
            assertEquals(1, y.getDouble(2 * k), 1e-12);
            assertEquals(0, y.getDouble(2 * k + 1), 1e-12);
        }
        double[] cos = new double[n];
        for (int t = 0; t < n; t++) {
            cos[t] = Math.cos(2 * Math.PI * 2 * t / n);
        }
        Tensor c = dft(NodeRunner.op("DFT"), Tensor.ofDoubles(s(1, n, 1), cos), 1);
        for (int k = 0; k < n; k++) {
            assertEquals(k == 2 || k == n - 2 ? n / 2.0 : 0, c.getDouble(2 * k), 1e-12, "bin " + k);
            assertEquals(0, c.getDouble(2 * k + 1), 1e-12);
        }
    }

    @Test
    void inverseUndoesForwardAlongAnInnerAxis() {
        SplittableRandom r = new SplittableRandom(11);
        double[] v = new double[3 * 5 * 2 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextDouble(-1, 1);
        }
        Tensor x = Tensor.ofDoubles(s(3, 5, 2, 2), v);
        Tensor f = dft(NodeRunner.op("DFT"), x, 1);
        Tensor back = dft(NodeRunner.op("DFT").attr("inverse", 1L), f, -3);
        assertArrayEquals(v, back.toDoubleArray(), 1e-12);
    }

    @Test
    void rfftIsTheFirstHalfAndIrfftRestoresTheSignal() {
        for (int n : new int[] {1, 6, 9}) {
            double[] v = new double[n];
            for (int t = 0; t < n; t++) {
                v[t] = Math.sin(t * 1.3) + t;
            }
            Tensor x = Tensor.ofDoubles(s(1, n, 1), v);
            Tensor full = dft(NodeRunner.op("DFT"), x, 1);
            Tensor half = dft(NodeRunner.op("DFT").attr("onesided", 1L), x, 1);
            assertEquals(Shape.of(1, n / 2 + 1, 2), half.shape());
            for (int i = 0; i < half.size(); i++) {
                assertEquals(full.getDouble(i), half.getDouble(i), 1e-12);
            }
            Tensor back = NodeRunner.op("DFT").attr("onesided", 1L).attr("inverse", 1L)
                    .run1(half, Tensor.scalar((long) n), Tensor.scalar(-2L));
            assertEquals(Shape.of(1, n, 1), back.shape());
            assertArrayEquals(v, back.toDoubleArray(), 1e-12, "n = " + n);
        }
    }

    @Test
    void dftLengthZeroPadsOrTruncatesAndOpset17TakesTheAxisAttribute() {
        Tensor x = Tensor.ofFloats(s(1, 2, 1), 1, 5);
        Tensor padded = NodeRunner.op("DFT").opset(17).run1(x, Tensor.ofLongs(s(), 4));
        assertArrayEquals(new float[] {6, 0, 1, -5, -4, 0, 1, 5}, padded.toFloatArray(), 1e-6f);
        Tensor cut = NodeRunner.op("DFT").opset(17).run1(x, Tensor.ofLongs(s(), 1));
        assertArrayEquals(new float[] {1, 0}, cut.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> dft(NodeRunner.op("DFT"), x, 2));
    }

    @Test
    void stftFramesAreWindowedDfts() {
        float[] v = new float[10];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * i;
        }
        Tensor x = Tensor.ofFloats(s(1, 10, 1), v);
        Tensor window = Tensor.ofFloats(s(4), 0.5f, 1, 1, 0.5f);
        Tensor y = NodeRunner.op("STFT").run1(x, Tensor.scalar(3L), window);
        // frames at 0, 3, 6; 3 one-sided bins of a 4-point DFT.
        assertEquals(Shape.of(1, 3, 3, 2), y.shape());
        for (int f = 0; f < 3; f++) {
            float[] frame = new float[4];
            for (int t = 0; t < 4; t++) {
                frame[t] = v[f * 3 + t] * window.getFloat(t);
            }
            Tensor d = dft(NodeRunner.op("DFT").attr("onesided", 1L), Tensor.ofFloats(s(1, 4, 1), frame), 1);
            for (int i = 0; i < 6; i++) {
                assertEquals(d.getFloat(i), y.getFloat(f * 6 + i), 1e-4f);
            }
        }
        Tensor two = NodeRunner.op("STFT").attr("onesided", 0L).run1(x, Tensor.scalar(5L), null, Tensor.scalar(5L));
        assertEquals(Shape.of(1, 2, 5, 2), two.shape());
        assertEquals(0 + 1 + 4 + 9 + 16, two.getFloat(0), 1e-4);
    }

    @Test
    void windowsMatchTheirClosedForms() {
        assertArrayEquals(new float[] {0, 0.5f, 1, 0.5f},
                NodeRunner.op("HannWindow").run1(Tensor.ofInts(s(), 4)).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0, 0.5f, 1, 0.5f, 0},
                NodeRunner.op("HannWindow").attr("periodic", 0L).run1(Tensor.scalar(5L)).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {4f / 46, 1, 4f / 46},
                NodeRunner.op("HammingWindow").attr("periodic", 0L).run1(Tensor.scalar(3L)).toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0, 0.34f, 1, 0.34f},
                NodeRunner.op("BlackmanWindow").run1(Tensor.scalar(4L)).toFloatArray(), 1e-7f);
        Tensor ints = NodeRunner.op("HannWindow").attr("output_datatype", (long) DType.INT32.code())
                .run1(Tensor.scalar(4L));
        assertEquals(DType.INT32, ints.dtype());
        assertArrayEquals(new long[] {0, 0, 1, 0}, ints.toLongArray());
    }

    @Test
    void melWeightMatrixHasUnitPeakTriangles() {
        Tensor y = NodeRunner.op("MelWeightMatrix").run1(Tensor.scalar(3L), Tensor.scalar(64L), Tensor.scalar(16000L),
                Tensor.scalar(0f), Tensor.scalar(8000f));
        assertEquals(Shape.of(33, 3), y.shape());
        for (int m = 0; m < 3; m++) {
            float peak = 0;
            for (int b = 0; b < 33; b++) {
                float w = y.getFloat(b * 3 + m);
                assertEquals(true, w >= 0 && w <= 1, "weight " + w);
                peak = Math.max(peak, w);
            }
            assertEquals(1f, peak);
        }
    }
}

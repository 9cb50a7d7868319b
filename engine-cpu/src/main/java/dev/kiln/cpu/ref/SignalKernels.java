package dev.kiln.cpu.ref;

import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;

/**
 * Signal processing: DFT (full, one-sided, inverse, IRFFT), STFT, the Hann, Hamming and
 * Blackman windows, and MelWeightMatrix. Transforms compute in double ({@link Fft}).
 */
final class SignalKernels {
    private SignalKernels() {
    }

    static void register(KernelRegistry r) {
        r.onnx(SignalKernels::dft, "DFT");
        r.onnx(SignalKernels::stft, "STFT");
        r.onnx(b -> window(b, 0.5, 0.5, 0), "HannWindow");
        r.onnx(b -> window(b, 25.0 / 46, 21.0 / 46, 0), "HammingWindow");
        r.onnx(b -> window(b, 0.42, 0.5, 0.08), "BlackmanWindow");
        r.onnx(SignalKernels::melWeightMatrix, "MelWeightMatrix");
    }

    // ------------------------------------------------------------------ DFT

    /** DFT: the axis is an attribute (default 1) at opset 17, an input (default -2) from 20. */
    private static Kernel dft(BindContext b) {
        boolean inverse = b.node().attrInt("inverse", 0) != 0;
        boolean onesided = b.node().attrInt("onesided", 0) != 0;
        boolean axisInput = b.opset() >= 20;
        long axisAttr = b.node().attrInt("axis", 1);
        return k -> {
            Tensor x = k.tensor(0);
            int rank = x.rank();
            if (rank < 2 || x.shape().dim(-1) < 1 || x.shape().dim(-1) > 2) {
                throw new IllegalArgumentException("DFT input must be [..., 1] (real) or [..., 2] (complex), got "
                        + x.shape());
            }
            if (!x.dtype().isFloat()) {
                throw new IllegalArgumentException("DFT is not defined for " + x.dtype() + " tensors");
            }
            long axisValue = axisInput ? (k.hasInput(2) ? scalar(k.tensor(2), "DFT axis") : -2) : axisAttr;
            long a = axisValue < 0 ? axisValue + rank : axisValue;
            if (a < 0 || a > rank - 2) {
                throw new IllegalArgumentException("DFT axis " + axisValue + " out of range for rank " + rank);
            }
            int axis = (int) a;
            boolean complexIn = x.shape().dim(-1) == 2;
            boolean irfft = onesided && inverse;
            if (irfft && !complexIn) {
                throw new IllegalArgumentException("DFT with onesided=1 and inverse=1 needs complex input");
            }
            long dim = x.shape().dim(axis);
            long len = k.hasInput(1) ? scalar(k.tensor(1), "DFT dft_length") : irfft ? 2 * (dim - 1) : dim;
            if (len < 1) {
                throw new IllegalArgumentException("DFT length " + len + " must be positive");
            }
            int n = Math.toIntExact(len);
            int bins = onesided && !inverse ? n / 2 + 1 : n;
            long[] out = x.shape().dims();
            out[axis] = bins;
            out[rank - 1] = irfft ? 1 : 2;
            Tensor y = k.allocate(0, x.dtype(), Shape.of(out));
            long outer = x.shape().sizeBetween(0, axis);
            long inner = x.shape().sizeBetween(axis + 1, rank - 1);
            long comp = x.shape().dim(-1);
            Fft fft = Fft.of(n);
            double[] re = new double[n];
            double[] im = new double[n];
            double[] oRe = new double[bins];
            double[] oIm = new double[bins];
            // IRFFT reads the non-redundant half and rebuilds the rest by conjugate symmetry.
            long used = irfft ? Math.min(dim, n / 2 + 1) : Math.min(dim, n);
            for (long o = 0; o < outer; o++) {
                for (long in = 0; in < inner; in++) {
                    java.util.Arrays.fill(re, 0);
                    java.util.Arrays.fill(im, 0);
                    for (int t = 0; t < used; t++) {
                        long src = ((o * dim + t) * inner + in) * comp;
                        re[t] = x.getDouble(src);
                        im[t] = complexIn ? x.getDouble(src + 1) : 0;
                    }
                    if (irfft) {
                        for (int t = 1; t < used; t++) {
                            if (n - t > t) {
                                re[n - t] = re[t];
                                im[n - t] = -im[t];
                            }
                        }
                    }
                    fft.transform(re, im, bins, inverse, oRe, oIm);
                    for (int t = 0; t < bins; t++) {
                        long dst = ((o * bins + t) * inner + in) * out[rank - 1];
                        y.setDouble(dst, oRe[t]);
                        if (!irfft) {
                            y.setDouble(dst + 1, oIm[t]);
                        }
                    }
                }
            }
        };
    }

    private static long scalar(Tensor t, String what) {
        if (t.size() != 1) {
            throw new IllegalArgumentException(what + " must be a scalar, got " + t.shape());
        }
        return t.getLong(0);
    }

    // ------------------------------------------------------------------ STFT

    private static Kernel stft(BindContext b) {
        boolean onesided = b.node().attrInt("onesided", 1) != 0;
        return k -> {
            Tensor x = k.tensor(0);
            if (x.rank() != 3 || x.shape().dim(2) < 1 || x.shape().dim(2) > 2) {
                throw new IllegalArgumentException("STFT signal must be [batch, length, 1 or 2], got " + x.shape());
            }
            long step = scalar(k.tensor(1), "STFT frame_step");
            Tensor window = k.hasInput(2) ? k.tensor(2) : null;
            if (window != null && window.rank() != 1) {
                throw new IllegalArgumentException("STFT window must be 1-D, got " + window.shape());
            }
            long frameLen;
            if (k.hasInput(3)) {
                frameLen = scalar(k.tensor(3), "STFT frame_length");
                if (window != null && window.size() != frameLen) {
                    throw new IllegalArgumentException("STFT window of " + window.size() + " for frame_length "
                            + frameLen);
                }
            } else if (window != null) {
                frameLen = window.size();
            } else {
                throw new IllegalArgumentException("STFT needs a window or a frame_length");
            }
            boolean complexIn = x.shape().dim(2) == 2;
            if (onesided && complexIn) {
                throw new IllegalArgumentException("STFT cannot be one-sided for a complex signal");
            }
            long length = x.shape().dim(1);
            if (step < 1 || frameLen < 1 || frameLen > length) {
                throw new IllegalArgumentException("STFT frame_step " + step + " and frame_length " + frameLen
                        + " do not fit a signal of " + length);
            }
            int n = Math.toIntExact(frameLen);
            long frames = (length - frameLen) / step + 1;
            int bins = onesided ? n / 2 + 1 : n;
            long batch = x.shape().dim(0);
            long comp = x.shape().dim(2);
            Tensor y = k.allocate(0, x.dtype(), Shape.of(batch, frames, bins, 2));
            Fft fft = Fft.of(n);
            double[] re = new double[n];
            double[] im = new double[n];
            double[] oRe = new double[bins];
            double[] oIm = new double[bins];
            for (long bi = 0; bi < batch; bi++) {
                for (long f = 0; f < frames; f++) {
                    for (int t = 0; t < n; t++) {
                        long src = (bi * length + f * step + t) * comp;
                        double win = window == null ? 1 : window.getDouble(t);
                        re[t] = x.getDouble(src) * win;
                        im[t] = complexIn ? x.getDouble(src + 1) * win : 0;
                    }
                    fft.transform(re, im, bins, false, oRe, oIm);
                    for (int t = 0; t < bins; t++) {
                        long dst = ((bi * frames + f) * bins + t) * 2;
                        y.setDouble(dst, oRe[t]);
                        y.setDouble(dst + 1, oIm[t]);
                    }
                }
            }
        };
    }

    // ------------------------------------------------------------------ windows

    /**
     * A generalized cosine window {@code a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)}, with
     * {@code N = size} (periodic) or {@code size - 1} (symmetric), as the spec's function bodies
     * define them.
     */
    private static Kernel window(BindContext b, double a0, double a1, double a2) {
        DType out = outputType(b);
        boolean periodic = b.node().attrInt("periodic", 1) != 0;
        String op = b.node().opType();
        return k -> {
            long size = scalar(k.tensor(0), op + " size");
            if (size < 0) {
                throw new IllegalArgumentException(op + " size " + size + " is negative");
            }
            Tensor y = k.allocate(0, out, Shape.of(size));
            double period = periodic ? size : size - 1;
            for (long i = 0; i < size; i++) {
                double angle = 2 * Math.PI * i / period;
                y.setDouble(i, a0 - a1 * Math.cos(angle) + a2 * Math.cos(2 * angle));
            }
        };
    }

    private static final java.util.Set<DType> NUMERIC_OUTPUTS = java.util.EnumSet.of(DType.UINT8, DType.UINT16,
            DType.UINT32, DType.UINT64, DType.INT8, DType.INT16, DType.INT32, DType.INT64, DType.FLOAT16, DType.FLOAT,
            DType.DOUBLE, DType.BFLOAT16);

    private static DType outputType(BindContext b) {
        long code = b.node().attrInt("output_datatype", DType.FLOAT.code());
        DType t = code < 0 || code > Integer.MAX_VALUE ? null : DType.fromCode((int) code);
        if (t == null || !NUMERIC_OUTPUTS.contains(t)) {
            throw new IllegalArgumentException(b.node().opType() + " output_datatype " + code + " is not a numeric type");
        }
        return t;
    }

    // ------------------------------------------------------------------ MelWeightMatrix

    /**
     * MelWeightMatrix: {@code num_mel_bins + 2} points evenly spaced on the mel scale from the
     * lower edge in steps of {@code (mel(upper) - mel(lower)) / (num_mel_bins + 2)} (the spacing
     * the conformance data fixes), mapped to spectrogram bins by
     * {@code floor((dft_length + 1) * hz / sample_rate)}; filter {@code i} rises from point
     * {@code i} to a peak of 1 at point {@code i + 1} and falls to point {@code i + 2}.
     */
    private static Kernel melWeightMatrix(BindContext b) {
        DType out = outputType(b);
        return k -> {
            long mels = scalar(k.tensor(0), "MelWeightMatrix num_mel_bins");
            long dftLength = scalar(k.tensor(1), "MelWeightMatrix dft_length");
            long rate = scalar(k.tensor(2), "MelWeightMatrix sample_rate");
            double lower = k.tensor(3).getDouble(0);
            double upper = k.tensor(4).getDouble(0);
            if (mels < 1 || dftLength < 1 || rate < 1 || !(lower >= 0 && lower <= upper)) {
                throw new IllegalArgumentException("MelWeightMatrix needs positive bins, length and rate and "
                        + "0 <= lower_edge_hertz <= upper_edge_hertz");
            }
            long spectrum = dftLength / 2 + 1;
            int points = Math.toIntExact(mels + 2);
            double lowMel = mel(lower);
            double step = (mel(upper) - lowMel) / points;
            long[] bin = new long[points];
            for (int i = 0; i < points; i++) {
                double hz = 700 * (Math.pow(10, (lowMel + i * step) / 2595) - 1);
                bin[i] = (long) Math.floor((dftLength + 1) * hz / rate);
            }
            Tensor y = k.allocate(0, out, Shape.of(spectrum, mels));
            double[] w = new double[Math.toIntExact(Math.multiplyExact(spectrum, mels))];
            for (int m = 0; m < mels; m++) {
                long lo = bin[m];
                long center = bin[m + 1];
                long hi = bin[m + 2];
                if (center == lo) {
                    set(w, center, m, mels, spectrum, 1);
                } else {
                    for (long j = lo; j <= center; j++) {
                        set(w, j, m, mels, spectrum, (double) (j - lo) / (center - lo));
                    }
                }
                for (long j = center; j < hi; j++) {
                    set(w, j, m, mels, spectrum, (double) (hi - j) / (hi - center));
                }
            }
            for (int i = 0; i < w.length; i++) {
                y.setDouble(i, w[i]);
            }
        };
    }

    private static void set(double[] w, long row, int col, long cols, long rows, double v) {
        if (row >= 0 && row < rows) {
            w[(int) (row * cols + col)] = v;
        }
    }

    private static double mel(double hz) {
        return 2595 * Math.log10(1 + hz / 700);
    }
}

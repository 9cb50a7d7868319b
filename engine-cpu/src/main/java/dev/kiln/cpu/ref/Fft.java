package dev.kiln.cpu.ref;

/**
 * The discrete Fourier transform of one length, in double. Short lengths use the direct sum
 * (with exact twiddles {@code 2 pi (k n mod N) / N}); longer ones a radix-2 FFT when the length
 * is a power of two and Bluestein's chirp-z transform (three power-of-two FFTs) otherwise, so
 * every length costs O(N log N). The direct sum is the reference the fast paths are tested
 * against.
 */
final class Fft {
    /** Lengths up to this use the direct sum. */
    static final int DIRECT_MAX = 64;

    private final int n;
    private final double[] cos;
    private final double[] sin;
    private final Radix2 radix2;
    private final double[] chirpCos;
    private final double[] chirpSin;
    private final double[] filterRe;
    private final double[] filterIm;

    private Fft(int n, boolean fast) {
        this.n = n;
        boolean direct = !fast || n <= DIRECT_MAX;
        boolean pow2 = Integer.bitCount(n) == 1;
        if (direct) {
            cos = new double[n];
            sin = new double[n];
            for (int j = 0; j < n; j++) {
                cos[j] = Math.cos(2 * Math.PI * j / n);
                sin[j] = Math.sin(2 * Math.PI * j / n);
            }
            radix2 = null;
            chirpCos = chirpSin = filterRe = filterIm = null;
        } else if (pow2) {
            cos = sin = null;
            radix2 = new Radix2(n);
            chirpCos = chirpSin = filterRe = filterIm = null;
        } else {
            cos = sin = null;
            radix2 = new Radix2(Integer.highestOneBit(2 * n - 1) << 1);
            int m = radix2.m;
            // chirp[j] = e^{-i pi j^2 / n}, with j^2 reduced mod 2n so the angle stays exact.
            chirpCos = new double[n];
            chirpSin = new double[n];
            for (int j = 0; j < n; j++) {
                double a = Math.PI * (((long) j * j) % (2L * n)) / n;
                chirpCos[j] = Math.cos(a);
                chirpSin[j] = -Math.sin(a);
            }
            filterRe = new double[m];
            filterIm = new double[m];
            for (int j = 0; j < n; j++) {
                filterRe[j] = chirpCos[j];
                filterIm[j] = -chirpSin[j];
                if (j > 0) {
                    filterRe[m - j] = chirpCos[j];
                    filterIm[m - j] = -chirpSin[j];
                }
            }
            radix2.forward(filterRe, filterIm);
        }
    }

    /** The transform of length {@code n}, fast where it pays. */
    static Fft of(int n) {
        return new Fft(n, true);
    }

    /** The direct-sum transform of length {@code n}, whatever the length. */
    static Fft direct(int n) {
        return new Fft(n, false);
    }

    /**
     * Writes bins {@code [0, bins)} of the DFT of {@code (re, im)} (length n, not modified) into
     * {@code outRe}/{@code outIm}; the inverse uses {@code e^{+i...}} and scales by {@code 1/n}.
     */
    void transform(double[] re, double[] im, int bins, boolean inverse, double[] outRe, double[] outIm) {
        if (cos != null) {
            direct(re, im, bins, inverse, outRe, outIm);
            return;
        }
        // The inverse is the conjugate of the forward transform of the conjugate.
        double sign = inverse ? -1 : 1;
        double[] r;
        double[] i;
        if (radix2.m == n) {
            r = re.clone();
            i = new double[n];
            for (int j = 0; j < n; j++) {
                i[j] = sign * im[j];
            }
            radix2.forward(r, i);
        } else {
            int m = radix2.m;
            r = new double[m];
            i = new double[m];
            for (int j = 0; j < n; j++) {
                double xr = re[j];
                double xi = sign * im[j];
                r[j] = xr * chirpCos[j] - xi * chirpSin[j];
                i[j] = xr * chirpSin[j] + xi * chirpCos[j];
            }
            radix2.forward(r, i);
            for (int j = 0; j < m; j++) {
                double pr = r[j] * filterRe[j] - i[j] * filterIm[j];
                double pi = r[j] * filterIm[j] + i[j] * filterRe[j];
                // Conjugating before and after a forward FFT gives the unscaled inverse.
                r[j] = pr;
                i[j] = -pi;
            }
            radix2.forward(r, i);
            for (int j = 0; j < n; j++) {
                double cr = r[j] / m;
                double ci = -i[j] / m;
                r[j] = cr * chirpCos[j] - ci * chirpSin[j];
                i[j] = cr * chirpSin[j] + ci * chirpCos[j];
            }
        }
        for (int k = 0; k < bins; k++) {
            outRe[k] = inverse ? r[k] / n : r[k];
            outIm[k] = inverse ? -i[k] / n : i[k];
        }
    }

    private void direct(double[] re, double[] im, int bins, boolean inverse, double[] outRe, double[] outIm) {
        double sign = inverse ? 1 : -1;
        for (int k = 0; k < bins; k++) {
            double sr = 0;
            double si = 0;
            long j = 0;
            for (int t = 0; t < n; t++) {
                double c = cos[(int) j];
                double s = sign * sin[(int) j];
                sr += re[t] * c - im[t] * s;
                si += re[t] * s + im[t] * c;
                j += k;
                if (j >= n) {
                    j %= n;
                }
            }
            outRe[k] = inverse ? sr / n : sr;
            outIm[k] = inverse ? si / n : si;
        }
    }

    /** An in-place iterative radix-2 forward FFT of a power-of-two length. */
    private static final class Radix2 {
        final int m;
        private final double[] cos;
        private final double[] sin;
        private final int[] reversed;

        Radix2(int m) {
            this.m = m;
            cos = new double[m / 2];
            sin = new double[m / 2];
            for (int t = 0; t < m / 2; t++) {
                cos[t] = Math.cos(2 * Math.PI * t / m);
                sin[t] = Math.sin(2 * Math.PI * t / m);
            }
            reversed = new int[m];
            int bits = Integer.numberOfTrailingZeros(m);
            for (int j = 0; j < m; j++) {
                reversed[j] = bits == 0 ? 0 : Integer.reverse(j) >>> (32 - bits);
            }
        }

        void forward(double[] re, double[] im) {
            for (int j = 0; j < m; j++) {
                int r = reversed[j];
                if (r > j) {
                    double t = re[j];
                    re[j] = re[r];
                    re[r] = t;
                    t = im[j];
                    im[j] = im[r];
                    im[r] = t;
                }
            }
            for (int len = 2; len <= m; len <<= 1) {
                int half = len / 2;
                int step = m / len;
                for (int s = 0; s < m; s += len) {
                    for (int j = 0; j < half; j++) {
                        double wr = cos[j * step];
                        double wi = -sin[j * step];
                        int a = s + j;
                        int b = a + half;
                        double xr = re[b] * wr - im[b] * wi;
                        double xi = re[b] * wi + im[b] * wr;
                        re[b] = re[a] - xr;
                        im[b] = im[a] - xi;
                        re[a] += xr;
                        im[a] += xi;
                    }
                }
            }
        }
    }
}

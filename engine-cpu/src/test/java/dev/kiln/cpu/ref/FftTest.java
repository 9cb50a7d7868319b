package dev.kiln.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fast transforms (radix-2 and Bluestein) against the direct sum. */
class FftTest {

    @Test
    void fastTransformsMatchTheDirectSum() {
        SplittableRandom r = new SplittableRandom(5);
        int[] lengths = {1, 2, 3, 7, 64, 65, 97, 128, 200, 256, 257, 400, 1000, 1024};
        for (int n : lengths) {
            double[] re = new double[n];
            double[] im = new double[n];
            double norm = 0;
            for (int j = 0; j < n; j++) {
                re[j] = r.nextDouble(-1, 1);
                im[j] = r.nextDouble(-1, 1);
                norm += re[j] * re[j] + im[j] * im[j];
            }
            for (boolean inverse : new boolean[] {false, true}) {
                int bins = inverse ? n : n / 2 + 1;
                double[] fr = new double[bins];
                double[] fi = new double[bins];
                double[] dr = new double[bins];
                double[] di = new double[bins];
                Fft.of(n).transform(re, im, bins, inverse, fr, fi);
                Fft.direct(n).transform(re, im, bins, inverse, dr, di);
                // Error relative to the transform's scale: sqrt(n) * |x| forward, |x| / sqrt(n) inverse.
                double scale = Math.sqrt(norm) * (inverse ? 1 / Math.sqrt(n) : Math.sqrt(n));
                for (int k = 0; k < bins; k++) {
                    assertEquals(dr[k], fr[k], 1e-12 * scale, "n=" + n + " bin " + k);
                    assertEquals(di[k], fi[k], 1e-12 * scale, "n=" + n + " bin " + k);
                }
            }
        }
    }
}

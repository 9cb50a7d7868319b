package dev.kiln.cpu.ref;

/**
 * The Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), the generator behind Kiln's
 * random operators. Seeding and the derived distributions follow the widespread conventions of
 * NumPy's {@code RandomState}: a 32-bit seed through {@code init_genrand}, doubles from 53 bits
 * of two outputs, normals by the Marsaglia polar method keeping the second value. So a seeded
 * operator gives the values the ONNX reference implementation computes for the same seed.
 * Not thread-safe; one generator serves one kernel invocation.
 */
final class Mt19937 {
    private static final int N = 624;
    private static final int M = 397;

    private final int[] mt = new int[N];
    private int index = N;
    private boolean hasSpare;
    private double spare;

    /** A generator seeded with the low 32 bits of {@code seed}. */
    Mt19937(long seed) {
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
    }

    /** The next 32 random bits, as an unsigned value. */
    long nextInt32() {
        if (index >= N) {
            twist();
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >>> 18;
        return y & 0xFFFFFFFFL;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7FFFFFFF);
            int next = mt[(i + M) % N] ^ (y >>> 1);
            mt[i] = (y & 1) != 0 ? next ^ 0x9908B0DF : next;
        }
        index = 0;
    }

    /** A double uniform in {@code [0, 1)} with 53 random bits. */
    double nextDouble() {
        long a = nextInt32() >>> 5;
        long b = nextInt32() >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /** A standard normal value. */
    double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double x1;
        double x2;
        double r2;
        do {
            x1 = 2 * nextDouble() - 1;
            x2 = 2 * nextDouble() - 1;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1 || r2 == 0);
        double f = Math.sqrt(-2 * Math.log(r2) / r2);
        spare = f * x1;
        hasSpare = true;
        return f * x2;
    }
}

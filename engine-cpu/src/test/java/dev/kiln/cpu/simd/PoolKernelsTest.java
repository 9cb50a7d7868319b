package dev.kiln.cpu.simd;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** MaxPool, AveragePool and the global pools against the reference kernels. */
class PoolKernelsTest {
    private final Random rnd = new Random(19);

    private void pool(String op, long[] shape, Object... attrs) {
        OneNode node = OneNode.of(op);
        for (int i = 0; i < attrs.length; i += 2) {
            if (attrs[i + 1] instanceof long[] v) {
                node.attr((String) attrs[i], v);
            } else if (attrs[i + 1] instanceof Long v) {
                node.attr((String) attrs[i], v);
            } else {
                node.attr((String) attrs[i], (String) attrs[i + 1]);
            }
        }
        node.input(OneNode.random(rnd, shape)).matchesReference(1e-6, 1e-7);
    }

    @Test
    void windowedPools() {
        for (String op : new String[] {"MaxPool", "AveragePool"}) {
            pool(op, new long[] {1, 3, 17, 17}, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                    "pads", new long[] {1, 1, 1, 1});
            pool(op, new long[] {2, 5, 12, 12}, "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2});
            pool(op, new long[] {1, 4, 13, 11}, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                    "ceil_mode", 1L);
            pool(op, new long[] {1, 2, 9, 40}, "kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1});
            pool(op, new long[] {1, 2, 1, 1}, "kernel_shape", new long[] {1, 1});
            pool(op, new long[] {1, 3, 10, 10}, "kernel_shape", new long[] {5, 3}, "auto_pad", "SAME_UPPER");
            pool(op, new long[] {1, 3, 14, 14}, "kernel_shape", new long[] {2, 2}, "dilations", new long[] {2, 2});
            pool(op, new long[] {1, 3, 7, 7}, "kernel_shape", new long[] {7, 7});
            pool(op, new long[] {1, 3, 109, 109}, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2});
            pool(op, new long[] {2, 2, 57, 53}, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                    "ceil_mode", 1L);
            pool(op, new long[] {1, 3, 41, 67}, "kernel_shape", new long[] {3, 5}, "strides", new long[] {1, 3},
                    "pads", new long[] {1, 2, 1, 2});
            pool(op, new long[] {1, 2, 31, 47}, "kernel_shape", new long[] {3, 3}, "dilations", new long[] {2, 3},
                    "strides", new long[] {2, 1}, "pads", new long[] {0, 1, 2, 3});
        }
        pool("AveragePool", new long[] {1, 3, 17, 17}, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}, "count_include_pad", 1L);
        pool("AveragePool", new long[] {1, 4, 13, 11}, "kernel_shape", new long[] {3, 3}, "strides", new long[] {2, 2},
                "pads", new long[] {1, 1, 1, 1}, "ceil_mode", 1L, "count_include_pad", 1L);
    }

    /** Random windows, strides, dilations, pads and ceil mode over sizes from 1 and primes. */
    @Test
    void randomPools() {
        int[] sizes = {1, 2, 3, 5, 7, 11, 13, 17, 31, 37, 64};
        for (int i = 0; i < 60; i++) {
            String op = rnd.nextBoolean() ? "MaxPool" : "AveragePool";
            int kh = 1 + rnd.nextInt(4);
            int kw = 1 + rnd.nextInt(4);
            long dh = op.equals("MaxPool") ? 1 + rnd.nextInt(2) : 1;
            long dw = op.equals("MaxPool") ? 1 + rnd.nextInt(2) : 1;
            long h = Math.max(sizes[rnd.nextInt(sizes.length)], (kh - 1) * dh + 1);
            long w = Math.max(sizes[rnd.nextInt(sizes.length)], (kw - 1) * dw + 1);
            long[] pads = {rnd.nextInt(kh), rnd.nextInt(kw), rnd.nextInt(kh), rnd.nextInt(kw)};
            pool(op, new long[] {1 + rnd.nextInt(2), 1 + rnd.nextInt(3), h, w}, "kernel_shape", new long[] {kh, kw},
                    "strides", new long[] {1 + rnd.nextInt(3), 1 + rnd.nextInt(3)}, "dilations", new long[] {dh, dw},
                    "pads", pads, "ceil_mode", (long) rnd.nextInt(2), "count_include_pad", (long) rnd.nextInt(2));
        }
    }

    @Test
    void globalPools() {
        for (String op : new String[] {"GlobalAveragePool", "GlobalMaxPool"}) {
            pool(op, new long[] {1, 1, 1, 1});
            pool(op, new long[] {2, 7, 5, 5});
            pool(op, new long[] {1, 64, 56, 56});
            pool(op, new long[] {3, 5, 37});
        }
    }
}

package dev.kiln.compile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Places buffers of known size in one arena by liveness: two buffers may share bytes only when
 * their lifetimes (producing step to last reading step) do not overlap. Greedy by size, largest
 * first, each at the lowest offset that fits between the buffers already placed whose lifetimes
 * intersect its own.
 */
final class MemoryPlanner {
    static final long ALIGN = 64;

    /** The placement: an offset per value (-1 when not planned) and the arena size. */
    record Placement(long[] offsets, long arenaBytes) { }

    private MemoryPlanner() {
    }

    /**
     * @param bytes size of each value, or -1 for values not to plan
     * @param first first step at which each value is live
     * @param last last step at which each value is live (inclusive)
     */
    static Placement place(long[] bytes, int[] first, int[] last) {
        int n = bytes.length;
        long[] offsets = new long[n];
        Arrays.fill(offsets, -1);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (bytes[i] >= 0) {
                order.add(i);
            }
        }
        order.sort(Comparator.comparingLong((Integer i) -> -bytes[i]).thenComparingInt(i -> first[i]));
        List<Integer> placed = new ArrayList<>();
        long arena = 0;
        for (int v : order) {
            long size = align(bytes[v]);
            List<long[]> busy = new ArrayList<>();
            for (int p : placed) {
                if (first[p] <= last[v] && first[v] <= last[p]) {
                    busy.add(new long[] {offsets[p], offsets[p] + align(bytes[p])});
                }
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long at = 0;
            for (long[] r : busy) {
                if (at + size <= r[0]) {
                    break;
                }
                at = Math.max(at, r[1]);
            }
            offsets[v] = at;
            arena = Math.max(arena, at + size);
            placed.add(v);
        }
        return new Placement(offsets, arena);
    }

    static long align(long b) {
        return Math.max(ALIGN, (b + ALIGN - 1) / ALIGN * ALIGN);
    }
}

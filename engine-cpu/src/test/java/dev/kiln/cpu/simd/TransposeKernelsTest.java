package dev.kiln.cpu.simd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Transpose against the reference kernel for every permutation of ranks 1 to 4 and some of 5. */
class TransposeKernelsTest {
    private final Random rnd = new Random(13);

    @Test
    void everyPermutationMatchesReference() {
        long[][] shapes = {{7}, {3, 17}, {1, 33}, {2, 35, 3}, {5, 1, 40, 3}, {1, 128, 12, 32}, {2, 3, 1, 37, 5}};
        for (long[] s : shapes) {
            for (List<Integer> p : permutations(s.length, 30)) {
                long[] perm = p.stream().mapToLong(Integer::longValue).toArray();
                OneNode.of("Transpose").attr("perm", perm).input(OneNode.random(rnd, s)).matchesReference(0, 0);
            }
            OneNode.of("Transpose").input(OneNode.random(rnd, s)).matchesReference(0, 0);
        }
    }

    private List<List<Integer>> permutations(int n, int max) {
        List<List<Integer>> all = new ArrayList<>();
        permute(new ArrayList<>(), n, all);
        Collections.shuffle(all, rnd);
        return all.subList(0, Math.min(max, all.size()));
    }

    private static void permute(List<Integer> prefix, int n, List<List<Integer>> out) {
        if (prefix.size() == n) {
            out.add(new ArrayList<>(prefix));
            return;
        }
        for (int i = 0; i < n; i++) {
            if (!prefix.contains(i)) {
                prefix.add(i);
                permute(prefix, n, out);
                prefix.remove(prefix.size() - 1);
            }
        }
    }
}

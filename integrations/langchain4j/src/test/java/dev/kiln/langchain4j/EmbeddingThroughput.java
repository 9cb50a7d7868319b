package dev.kiln.langchain4j;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Embedding throughput, Kiln against langchain4j's {@code AllMiniLmL6V2EmbeddingModel} (ONNX
 * Runtime), in one JVM: batches of 32 texts of about 20 tokens, 2 threads each, rounds
 * alternating between the two so that both see the same machine load. Prints texts per second
 * per round and the ratio of the medians.
 *
 * <pre>mvn -B -pl integrations/langchain4j -am test -DskipTests -Pbench [-Dkiln.bench.args="--rounds 8 --seconds 5"]</pre>
 */
public final class EmbeddingThroughput {
    private EmbeddingThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 8;
        double seconds = 5;
        int batch = 32;
        int threads = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --rounds N --seconds S --batch N --threads N)");
            }
        }
        List<TextSegment> texts = texts(batch);
        ExecutorService l4jPool = Executors.newFixedThreadPool(threads);
        try (KilnEmbeddingModel kiln = KilnEmbeddingModel.of(
                dev.kiln.text.Embedder.builder().model(jarOf(AllMiniLmL6V2EmbeddingModel.class)).threads(threads).build(),
                "all-minilm-l6-v2")) {
            EmbeddingModel l4j = new AllMiniLmL6V2EmbeddingModel(l4jPool);
            int tokens = kiln.embedAll(texts).tokenUsage().inputTokenCount();
            System.out.printf(Locale.ROOT, "batch %d texts, %.1f tokens each on average (with [CLS] and [SEP]), %d threads, %s%n",
                    batch, tokens / (double) batch, threads, Runtime.version());
            // Warm-up: JIT compilation for Kiln, session and thread start-up for ONNX Runtime.
            measure(kiln, texts, Math.min(seconds, 3));
            measure(l4j, texts, Math.min(seconds, 3));
            double[] k = new double[rounds];
            double[] o = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                k[r] = measure(kiln, texts, seconds);
                o[r] = measure(l4j, texts, seconds);
                System.out.printf(Locale.ROOT, "round %d: kiln %8.1f texts/s   langchain4j %8.1f texts/s   ratio %.3f%n",
                        r + 1, k[r], o[r], k[r] / o[r]);
            }
            // The pipeline's own share: tokenizing the batch, against a whole embedAll of it.
            dev.kiln.text.Tokenizer tok = kiln.embedder().tokenizer();
            long t0 = System.nanoTime();
            int reps = 0;
            do {
                for (TextSegment t : texts) {
                    tok.encode(t.text());
                }
                reps++;
            } while (System.nanoTime() - t0 < 1e9);
            double tokenizePerText = (System.nanoTime() - t0) / 1e9 / (reps * (double) texts.size());
            double km = median(k);
            System.out.printf(Locale.ROOT, "tokenization: %.1f us per text, %.2f%% of Kiln's time per text%n",
                    tokenizePerText * 1e6, 100 * tokenizePerText * km);
            double om = median(o);
            System.out.printf(Locale.ROOT, "median: kiln %.1f texts/s, langchain4j (ONNX Runtime) %.1f texts/s, kiln/langchain4j = %.3f%n",
                    km, om, km / om);
        } finally {
            l4jPool.shutdown();
        }
    }

    /** Texts per second over at least {@code seconds}, in whole batches. */
    private static double measure(EmbeddingModel model, List<TextSegment> texts, double seconds) {
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        long done = 0;
        do {
            model.embedAll(texts);
            done += texts.size();
        } while (System.nanoTime() < deadline);
        return done / ((System.nanoTime() - start) / 1e9);
    }

    /** {@code n} different sentences of 18 words (about 20 tokens with the special tokens). */
    static List<TextSegment> texts(int n) {
        String[] words = ("search index vector model query answer document language system data memory fast "
                + "engine java service cloud user result token layer network train small large green river "
                + "city music market price report team project design simple secure").split(" ");
        SplittableRandom r = new SplittableRandom(42);
        List<TextSegment> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            for (int w = 0; w < 18; w++) {
                b.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            out.add(TextSegment.from(b.append('.').toString()));
        }
        return out;
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static java.nio.file.Path jarOf(Class<?> c) throws java.net.URISyntaxException {
        return java.nio.file.Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
}

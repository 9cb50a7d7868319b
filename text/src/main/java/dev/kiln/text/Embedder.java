package dev.kiln.text;

import dev.kiln.InvalidInputException;
import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.ModelFormatException;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.Dim;
import dev.kiln.tensor.Layouts;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Sentence embeddings: texts → token ids → the model → one vector per text (mean of the token
 * vectors under the attention mask, then L2-normalized, by default).
 *
 * <pre>{@code
 * try (Embedder embedder = Embedder.builder().model(Path.of("all-MiniLM-L6-v2")).build()) {
 *     List<float[]> vectors = embedder.embedAll(List.of("first text", "second text"));
 * }
 * }</pre>
 *
 * <p>Texts are batched by length (each batch padded to its longest text, not to the model's
 * maximum) and cut to the tokenizer's truncation length, or {@link Builder#maxLength} tokens
 * when that is shorter or the tokenizer has none. Thread-safe: many threads may embed at once.
 *
 * <p>A model quantized with dynamic (per-tensor) activation scales computes each scale over the
 * whole batch, so its vectors depend slightly on which texts share a batch; {@code batchSize(1)}
 * makes every vector independent of the others.
 */
public final class Embedder implements AutoCloseable {
    private static final List<String> HIDDEN_STATE_NAMES = List.of("last_hidden_state", "token_embeddings");

    private final String name;
    private final Model model;
    private final Session session;
    private final Tokenizer tokenizer;
    private final Pooling pooling;
    private final boolean normalize;
    private final int batchSize;
    private final boolean feedMask;
    private final boolean feedTypeIds;
    private final String output;
    private volatile int dimension;

    private Embedder(Builder b, ModelFiles files) {
        this.name = String.valueOf(files.model().getFileName());
        Tokenizer tok = Tokenizer.fromFile(files.tokenizer()).withPadding(null);
        int cap = b.maxLength;
        Truncation own = tok.truncation().orElse(null);
        if (own == null || own.maxLength() > cap) {
            tok = tok.withTruncation(own == null ? Truncation.of(cap) : new Truncation(cap, own.strategy(), own.fromLeft()));
        }
        this.tokenizer = tok;
        this.pooling = b.pooling;
        this.normalize = b.normalize;
        this.batchSize = b.batchSize;
        Model m = Kiln.load(files.model());
        try {
            Set<String> inputs = new HashSet<>();
            for (ValueInfo v : m.inputs()) {
                inputs.add(v.name());
            }
            if (!inputs.contains("input_ids")) {
                throw new ModelFormatException("the model has no 'input_ids' input (it has " + inputs
                        + "); Embedder runs BERT-style text encoders").inModel(name);
            }
            Set<String> unknown = new TreeSet<>(inputs);
            unknown.removeAll(Set.of("input_ids", "attention_mask", "token_type_ids"));
            if (!unknown.isEmpty()) {
                throw new ModelFormatException("the model needs inputs Embedder does not know how to fill: " + unknown)
                        .inModel(name);
            }
            this.feedMask = inputs.contains("attention_mask");
            this.feedTypeIds = inputs.contains("token_type_ids");
            this.output = chooseOutput(m.outputs());
            this.dimension = staticDimension(m.outputs(), output);
            this.session = m.session(b.options);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        this.model = m;
    }

    private String chooseOutput(List<ValueInfo> outputs) {
        for (String n : HIDDEN_STATE_NAMES) {
            for (ValueInfo v : outputs) {
                if (v.name().equals(n)) {
                    return n;
                }
            }
        }
        if (outputs.isEmpty()) {
            throw new ModelFormatException("the model has no outputs").inModel(name);
        }
        return outputs.getFirst().name();
    }

    private static int staticDimension(List<ValueInfo> outputs, String output) {
        for (ValueInfo v : outputs) {
            if (v.name().equals(output) && v.type() instanceof ValueType.TensorType t && t.hasRank() && t.shape().rank() > 0) {
                Dim last = t.shape().dim(t.shape().rank() - 1);
                return last.isKnown() ? Math.toIntExact(last.value()) : 0;
            }
        }
        return 0;
    }

    /** A builder; {@link Builder#model} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The tokenizer, with the truncation this embedder applies. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The length of the vectors. */
    public int dimension() {
        int d = dimension;
        if (d == 0) {
            d = embed("").length;
            dimension = d;
        }
        return d;
    }

    /**
     * Embeds one text.
     *
     * @throws InvalidInputException when the text is {@code null}
     */
    public float[] embed(String text) {
        return embedAll(List.of(text == null ? nullText(0) : text)).getFirst();
    }

    /**
     * Embeds texts, in batches of texts of similar length; the vectors come back in the order of the texts.
     *
     * @throws InvalidInputException when a text is {@code null}
     */
    public List<float[]> embedAll(List<String> texts) {
        return embedAll(texts, null);
    }

    /**
     * Embeds texts like {@link #embedAll(List)}, and stores in {@code tokenCounts[i]} (when not
     * {@code null}) how many tokens text {@code i} became, after truncation, special tokens included.
     *
     * @throws InvalidInputException when a text is {@code null}
     */
    public List<float[]> embedAll(List<String> texts, int[] tokenCounts) {
        int n = texts.size();
        Encoding[] enc = new Encoding[n];
        for (int i = 0; i < n; i++) {
            String t = texts.get(i);
            enc[i] = tokenizer.encode(t == null ? nullText(i) : t);
            if (tokenCounts != null) {
                tokenCounts[i] = enc[i].length();
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> enc[i].length()));
        float[][] out = new float[n][];
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            Encoding[] batch = new Encoding[to - from];
            for (int k = from; k < to; k++) {
                batch[k - from] = enc[order[k]];
            }
            float[][] vectors = run(batch);
            for (int k = from; k < to; k++) {
                out[order[k]] = vectors[k - from];
            }
        }
        return Arrays.asList(out);
    }

    private String nullText(int index) {
        throw new InvalidInputException("text " + index + " is null").inModel(name);
    }

    private float[][] run(Encoding[] batch) {
        int b = batch.length;
        int len = 0;
        for (Encoding e : batch) {
            len = Math.max(len, e.length());
        }
        long[] ids = new long[b * len];
        long[] mask = new long[b * len];
        long[] types = new long[b * len];
        for (int i = 0; i < b; i++) {
            Encoding e = batch[i];
            for (int t = 0; t < e.length(); t++) {
                ids[i * len + t] = e.id(t);
                mask[i * len + t] = 1;
                types[i * len + t] = e.typeId(t);
            }
        }
        long[] shape = {b, len};
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        inputs.put("input_ids", Tensor.ofLongs(shape, ids));
        if (feedMask) {
            inputs.put("attention_mask", Tensor.ofLongs(shape, mask));
        }
        if (feedTypeIds) {
            inputs.put("token_type_ids", Tensor.ofLongs(shape, types));
        }
        Tensor h = session.run(inputs).get(output);
        float[][] vectors = pool(h, mask, b, len);
        if (normalize) {
            for (float[] v : vectors) {
                l2Normalize(v);
            }
        }
        return vectors;
    }

    private float[][] pool(Tensor h, long[] mask, int b, int len) {
        long[] dims = h.shape().dims();
        MemorySegment data = h.data();
        if (dims.length == 2 && dims[0] == b) {
            // Already one vector per text (a model with pooling inside).
            int dim = Math.toIntExact(dims[1]);
            float[][] out = new float[b][dim];
            for (int i = 0; i < b; i++) {
                MemorySegment.copy(data, Layouts.F32, (long) i * dim * 4, out[i], 0, dim);
            }
            return out;
        }
        if (dims.length != 3 || dims[0] != b || dims[1] != len) {
            throw new InvalidInputException("output '" + output + "' has shape " + h.shape() + "; expected [" + b + ", "
                    + len + ", hidden] token vectors").inModel(name);
        }
        int dim = Math.toIntExact(dims[2]);
        float[][] out = new float[b][];
        double[] acc = new double[dim];
        float[] row = new float[dim];
        for (int i = 0; i < b; i++) {
            if (pooling == Pooling.CLS) {
                out[i] = new float[dim];
                MemorySegment.copy(data, Layouts.F32, (long) i * len * dim * 4, out[i], 0, dim);
                continue;
            }
            Arrays.fill(acc, 0);
            int count = 0;
            for (int t = 0; t < len; t++) {
                if (mask[i * len + t] == 0) {
                    continue;
                }
                MemorySegment.copy(data, Layouts.F32, ((long) i * len + t) * dim * 4, row, 0, dim);
                for (int d = 0; d < dim; d++) {
                    acc[d] += row[d];
                }
                count++;
            }
            float[] v = new float[dim];
            for (int d = 0; d < dim; d++) {
                v[d] = (float) (acc[d] / Math.max(count, 1));
            }
            out[i] = v;
        }
        return out;
    }

    private static void l2Normalize(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum == 0) {
            return;
        }
        double inv = 1 / Math.sqrt(sum);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * inv);
        }
    }

    /** Closes the session and the model. Idempotent. */
    @Override
    public void close() {
        session.close();
        model.close();
    }

    /** Configures an {@link Embedder}. */
    public static final class Builder {
        private Path model;
        private Path tokenizerFile;
        private Options options = Options.defaults();
        private Pooling pooling = Pooling.MEAN;
        private boolean normalize = true;
        private int batchSize = 32;
        private int maxLength = 512;

        private Builder() {
        }

        /** The model: an {@code .onnx} file, a directory with the model and its {@code tokenizer.json}, or a jar holding both. */
        public Builder model(Path path) {
            this.model = path;
            return this;
        }

        /** The {@code tokenizer.json}, when it is not next to the model. */
        public Builder tokenizer(Path path) {
            this.tokenizerFile = path;
            return this;
        }

        /** Worker threads of the model's session (default: one per core). */
        public Builder threads(int n) {
            this.options = options.threads(n);
            return this;
        }

        /** Session options (threads, backends, passes, memory budget). */
        public Builder options(Options o) {
            this.options = o;
            return this;
        }

        /** How token vectors become one vector (default {@link Pooling#MEAN}). */
        public Builder pooling(Pooling p) {
            this.pooling = p;
            return this;
        }

        /** Whether vectors are scaled to length 1 (default true), so that a dot product is the cosine similarity. */
        public Builder normalize(boolean on) {
            this.normalize = on;
            return this;
        }

        /** The most texts run through the model at once (default 32). */
        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** The most tokens of a text, special tokens included (default 512, BERT's position limit). */
        public Builder maxLength(int n) {
            if (n < 2) {
                throw new IllegalArgumentException("maxLength must be at least 2, got " + n);
            }
            this.maxLength = n;
            return this;
        }

        /**
         * Loads the tokenizer and the model and opens a session.
         *
         * @throws dev.kiln.KilnException when a file is missing or invalid, or the model is not a text encoder
         */
        public Embedder build() {
            if (model == null) {
                throw new IllegalStateException("Embedder.builder().model(path) is required");
            }
            return new Embedder(this, ModelFiles.resolve(model, tokenizerFile));
        }
    }

    /** Cosine similarity of two vectors (their dot product when both are normalized). */
    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of length " + a.length + " and " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}

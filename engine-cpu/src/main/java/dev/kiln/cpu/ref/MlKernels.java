package dev.kiln.cpu.ref;

import dev.kiln.ModelFormatException;
import dev.kiln.backend.BindContext;
import dev.kiln.backend.Kernel;
import dev.kiln.backend.KernelContext;
import dev.kiln.graph.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shape;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Classical machine-learning operators: the {@code ai.onnx.ml} ArrayFeatureExtractor,
 * Binarizer, LabelEncoder and TreeEnsemble, and the default domain's TfIdfVectorizer.
 */
final class MlKernels {
    static final String ML = "ai.onnx.ml";

    private MlKernels() {
    }

    static void register(KernelRegistry r) {
        r.add(ML, "ArrayFeatureExtractor", b -> MlKernels::arrayFeatureExtractor);
        r.add(ML, "Binarizer", MlKernels::binarizer);
        r.add(ML, "LabelEncoder", MlKernels::labelEncoder);
        r.add(ML, "TreeEnsemble", TreeEnsemble::bind);
        r.onnx(MlKernels::tfIdfVectorizer, "TfIdfVectorizer");
    }

    // ------------------------------------------------------------------ ArrayFeatureExtractor

    /** Selects entries of the last axis; a 1-D input gives a [1, count] result. */
    private static void arrayFeatureExtractor(KernelContext k) {
        Tensor x = k.tensor(0);
        long[] idx = k.tensor(1).toLongArray();
        if (x.rank() == 0) {
            throw new IllegalArgumentException("ArrayFeatureExtractor needs an input of rank 1 or more");
        }
        long last = x.shape().dim(x.rank() - 1);
        for (long i : idx) {
            if (i < 0 || i >= last) {
                throw new IllegalArgumentException("ArrayFeatureExtractor index " + i + " is out of range for " + x.shape());
            }
        }
        long[] dims = x.rank() == 1 ? new long[] {1, idx.length} : x.shape().dims();
        dims[dims.length - 1] = idx.length;
        Tensor y = k.allocate(0, x.dtype(), Shape.of(dims));
        long rows = x.size() / Math.max(last, 1);
        for (long r = 0; r < rows && last > 0; r++) {
            for (int j = 0; j < idx.length; j++) {
                Elements.copy(x, r * last + idx[j], y, r * idx.length + j, 1);
            }
        }
    }

    // ------------------------------------------------------------------ Binarizer

    private static Kernel binarizer(BindContext b) {
        double threshold = b.node().attrFloat("threshold", 0f);
        return k -> {
            Tensor x = k.tensor(0);
            Tensor y = k.allocate(0, x.dtype(), x.shape());
            for (long i = 0; i < x.size(); i++) {
                y.setDouble(i, x.getDouble(i) > threshold ? 1 : 0);
            }
        };
    }

    // ------------------------------------------------------------------ LabelEncoder

    private static Kernel labelEncoder(BindContext b) {
        Node n = b.node();
        if (b.opset() < 2) {
            // Version 1 maps between strings and their position in classes_strings, in the
            // direction the input's type asks for.
            List<String> classes = n.attrStrings("classes_strings");
            if (classes == null) {
                throw new ModelFormatException("LabelEncoder needs classes_strings");
            }
            Tensor names = Tensor.ofStrings(Shape.of(classes.size()), classes.toArray(new String[0]));
            long[] pos = new long[classes.size()];
            for (int i = 0; i < pos.length; i++) {
                pos[i] = i;
            }
            Tensor positions = Tensor.ofLongs(new long[] {pos.length}, pos);
            Kernel toIndex = encoder(names, positions, Tensor.scalar(n.attrInt("default_int64", -1)));
            Kernel toName = encoder(positions, names,
                    Tensor.ofStrings(Shape.SCALAR, n.attrString("default_string", "_Unused")));
            return k -> (k.tensor(0).dtype() == DType.STRING ? toIndex : toName).run(k);
        }
        Tensor keys = listAttribute(n, "keys");
        Tensor values = listAttribute(n, "values");
        if (keys == null || values == null) {
            throw new ModelFormatException("LabelEncoder needs one keys_* and one values_* attribute");
        }
        Tensor fallback = n.attrTensor("default_tensor");
        if (fallback == null) {
            fallback = switch (values.dtype()) {
                case STRING -> Tensor.ofStrings(Shape.SCALAR, n.attrString("default_string", "_Unused"));
                case FLOAT, DOUBLE, FLOAT16, BFLOAT16 -> Tensor.scalar(n.attrFloat("default_float", -0.0f));
                default -> Tensor.scalar(n.attrInt("default_int64", -1));
            };
        }
        return encoder(keys, values, fallback);
    }

    /** Maps each element equal to {@code keys[i]} to {@code values[i]}, anything else to {@code fallback}. */
    private static Kernel encoder(Tensor keys, Tensor values, Tensor fallback) {
        if (keys.size() != values.size()) {
            throw new ModelFormatException("LabelEncoder has " + keys.size() + " keys but " + values.size() + " values");
        }
        // A repeated key maps to its last value.
        Map<Object, Integer> index = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            index.put(key(keys, i), i);
        }
        DType out = values.dtype();
        return k -> {
            Tensor x = k.tensor(0);
            if ((x.dtype() == DType.STRING) != (keys.dtype() == DType.STRING)) {
                throw new IllegalArgumentException("LabelEncoder input " + x.dtype() + " does not match its "
                        + keys.dtype() + " keys");
            }
            Tensor y = k.allocate(0, out, x.shape());
            for (long i = 0; i < x.size(); i++) {
                Integer at = index.get(key(x, i));
                copyElement(at == null ? fallback : values, at == null ? 0 : at, y, i);
            }
        };
    }

    /** The keys_* or values_* attribute as a 1-D tensor, whichever kind is set. */
    private static Tensor listAttribute(Node n, String prefix) {
        Tensor t = n.attrTensor(prefix + "_tensor");
        if (t != null) {
            return t;
        }
        List<String> strings = n.attrStrings(prefix + "_strings");
        if (strings != null) {
            return Tensor.ofStrings(Shape.of(strings.size()), strings.toArray(new String[0]));
        }
        long[] ints = n.attrInts(prefix + "_int64s");
        if (ints != null) {
            return Tensor.ofLongs(new long[] {ints.length}, ints);
        }
        float[] floats = n.attrFloats(prefix + "_floats");
        return floats == null ? null : Tensor.ofFloats(new long[] {floats.length}, floats);
    }

    /** A lookup key: strings as themselves, integers and floats by value (every NaN is the same key). */
    private static Object key(Tensor t, long i) {
        if (t.dtype() == DType.STRING) {
            return t.getString(i);
        }
        if (t.dtype().isInteger()) {
            return t.getLong(i);
        }
        double v = t.getDouble(i);
        return Double.isNaN(v) ? Double.NaN : v == 0 ? 0.0 : v;
    }

    private static void copyElement(Tensor src, long si, Tensor dst, long di) {
        if (src.dtype() == dst.dtype()) {
            Elements.copy(src, si, dst, di, 1);
        } else if (dst.dtype() == DType.STRING) {
            dst.setString(di, src.getString(si));
        } else if (dst.dtype().isFloat()) {
            dst.setDouble(di, src.getDouble(si));
        } else {
            dst.setLong(di, src.getLong(si));
        }
    }

    // ------------------------------------------------------------------ TfIdfVectorizer

    private static Kernel tfIdfVectorizer(BindContext b) {
        Node n = b.node();
        int minLen = (int) n.attrInt("min_gram_length", 1);
        int maxLen = (int) n.attrInt("max_gram_length", 1);
        int maxSkip = (int) n.attrInt("max_skip_count", 0);
        String mode = n.attrString("mode", "TF");
        long[] counts = n.attrInts("ngram_counts");
        long[] indexes = n.attrInts("ngram_indexes");
        List<String> poolStrings = n.attrStrings("pool_strings");
        long[] poolInts = n.attrInts("pool_int64s");
        float[] weights = n.attrFloats("weights");
        if (counts == null || indexes == null || (poolStrings == null) == (poolInts == null)) {
            throw new ModelFormatException("TfIdfVectorizer needs ngram_counts, ngram_indexes and exactly one pool_*");
        }
        if (!List.of("TF", "IDF", "TFIDF").contains(mode)) {
            throw new ModelFormatException("TfIdfVectorizer mode must be TF, IDF or TFIDF, got '" + mode + "'");
        }
        if (minLen < 1 || maxLen < minLen || maxSkip < 0) {
            throw new ModelFormatException("TfIdfVectorizer gram lengths [" + minLen + ", " + maxLen + "] or skip "
                    + maxSkip + " are invalid");
        }
        int poolSize = poolStrings != null ? poolStrings.size() : poolInts.length;
        // The pool holds the 1-grams, then the 2-grams, ...; n-grams of length L start at counts[L - 1].
        Map<List<Object>, Integer> grams = new HashMap<>();
        int gram = 0;
        for (int level = 0; level < counts.length; level++) {
            int start = (int) counts[level];
            int end = level + 1 < counts.length ? (int) counts[level + 1] : poolSize;
            int len = level + 1;
            if (start > end || end > poolSize || (end - start) % len != 0) {
                throw new ModelFormatException("TfIdfVectorizer ngram_counts " + java.util.Arrays.toString(counts)
                        + " do not divide a pool of " + poolSize);
            }
            for (int p = start; p < end; p += len) {
                List<Object> g = new ArrayList<>(len);
                for (int j = 0; j < len; j++) {
                    g.add(poolStrings != null ? poolStrings.get(p + j) : (Object) poolInts[p + j]);
                }
                grams.put(g, gram++);
            }
        }
        if (indexes.length != gram || (weights != null && weights.length != gram)) {
            throw new ModelFormatException("TfIdfVectorizer has " + gram + " n-grams but " + indexes.length
                    + " ngram_indexes" + (weights == null ? "" : " and " + weights.length + " weights"));
        }
        long width = 0;
        for (long i : indexes) {
            if (i < 0) {
                throw new ModelFormatException("TfIdfVectorizer ngram_indexes must not be negative");
            }
            width = Math.max(width, i + 1);
        }
        long outWidth = width;
        boolean strings = poolStrings != null;
        // No n-gram longer than the pool's longest level can match.
        int longest = Math.min(maxLen, counts.length);
        return k -> {
            Tensor x = k.tensor(0);
            if ((x.dtype() == DType.STRING) != strings) {
                throw new IllegalArgumentException("TfIdfVectorizer input " + x.dtype() + " does not match its pool");
            }
            if (x.rank() != 1 && x.rank() != 2) {
                throw new IllegalArgumentException("TfIdfVectorizer takes a [C] or [N, C] input, got " + x.shape());
            }
            long rows = x.rank() == 2 ? x.shape().dim(0) : 1;
            long cols = x.shape().dim(x.rank() - 1);
            Tensor y = k.allocate(0, DType.FLOAT, x.rank() == 2 ? Shape.of(rows, outWidth) : Shape.of(outWidth));
            int gramCount = indexes.length;
            double[] perGram = new double[gramCount];
            for (long r = 0; r < rows; r++) {
                java.util.Arrays.fill(perGram, 0);
                countGrams(x, r * cols, cols, minLen, longest, maxSkip, grams, perGram);
                for (long o = 0; o < outWidth; o++) {
                    y.setFloat(r * outWidth + o, 0f);
                }
                for (int g = 0; g < gramCount; g++) {
                    double w = weights == null ? 1 : weights[g];
                    double v = switch (mode) {
                        case "IDF" -> perGram[g] > 0 ? w : 0;
                        case "TFIDF" -> perGram[g] * w;
                        default -> perGram[g];
                    };
                    long at = r * outWidth + indexes[g];
                    y.setFloat(at, y.getFloat(at) + (float) v);
                }
            }
        };
    }

    /**
     * Counts, into {@code counts} by pool n-gram, every n-gram of the pool found in {@code x[base, base + len)}: all
     * lengths in {@code [minLen, maxLen]}, items {@code skip + 1} apart for every skip up to
     * {@code maxSkip} (a 1-gram is counted once per position).
     */
    private static void countGrams(Tensor x, long base, long len, int minLen, int maxLen, int maxSkip,
                                   Map<List<Object>, Integer> grams, double[] counts) {
        boolean strings = x.dtype() == DType.STRING;
        for (int n = minLen; n <= maxLen; n++) {
            int skips = n == 1 ? 0 : maxSkip;
            for (long start = 0; start < len; start++) {
                for (int s = 0; s <= skips; s++) {
                    long last = start + (long) (n - 1) * (s + 1);
                    if (last >= len) {
                        break;
                    }
                    List<Object> g = new ArrayList<>(n);
                    for (int j = 0; j < n; j++) {
                        long at = base + start + (long) j * (s + 1);
                        g.add(strings ? x.getString(at) : (Object) x.getLong(at));
                    }
                    Integer id = grams.get(g);
                    if (id != null) {
                        counts[id]++;
                    }
                }
            }
        }
    }
}

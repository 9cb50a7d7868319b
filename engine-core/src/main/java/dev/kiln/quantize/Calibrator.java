package dev.kiln.quantize;

import dev.kiln.Kiln;
import dev.kiln.Model;
import dev.kiln.Options;
import dev.kiln.Session;
import dev.kiln.graph.Graph;
import dev.kiln.graph.ValueInfo;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.ValueType;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Activation ranges for static quantization: runs the float model on sample inputs and records,
 * for each named tensor, the range its 8-bit values should cover.
 *
 * <ul>
 *   <li>{@link Method#MINMAX}: the smallest and largest value seen (one run per sample).</li>
 *   <li>{@link Method#PERCENTILE}: the values at the {@link #PERCENTILE} and 1 - PERCENTILE
 *       quantiles over all samples, from a histogram of {@link #BINS} bins over the min-max
 *       range (two runs per sample), so that a few outliers do not spend the 256 steps.</li>
 * </ul>
 * Every range includes 0, which must be exact in the quantized domain (zero padding, ReLU).
 */
public final class Calibrator {
    /** How a tensor's range is chosen from what the samples produced. */
    public enum Method {
        /** The extreme values. */
        MINMAX,
        /** The quantiles at {@link #PERCENTILE} of the values, cutting off rare outliers. */
        PERCENTILE
    }

    /** The fraction of values a percentile range keeps inside it, on each side. */
    public static final double PERCENTILE = 0.99999;
    /** Histogram bins per tensor for {@link Method#PERCENTILE}. */
    static final int BINS = 2048;

    /** A tensor's calibrated range, {@code min <= 0 <= max}. */
    public record Range(float min, float max) {
        /** Widens to include 0. */
        public Range {
            min = Math.min(min, 0f);
            max = Math.max(max, 0f);
        }
    }

    private Calibrator() {
    }

    /**
     * Runs {@code graph} on each sample and returns the range of each of {@code tensors} (graph
     * inputs or node outputs, float).
     *
     * @param progress told the number of runs done so far (of samples.size(), twice that for
     *                 percentile ranges), for progress output; may be {@code null}
     * @throws IllegalArgumentException when there are no samples, or a tensor is not float
     */
    public static Map<String, Range> calibrate(Graph graph, Collection<String> tensors,
                                               List<Map<String, Tensor>> samples, Method method, Options options,
                                               IntConsumer progress) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("calibration needs at least one sample input");
        }
        Set<String> graphInputs = new HashSet<>();
        for (ValueInfo v : graph.inputs()) {
            graphInputs.add(v.name());
        }
        Set<String> outputs = new HashSet<>();
        for (ValueInfo v : graph.outputs()) {
            outputs.add(v.name());
        }
        Graph.Builder b = graph.toBuilder();
        for (String t : tensors) {
            if (!graphInputs.contains(t) && !outputs.contains(t)) {
                b.addOutput(new ValueInfo(t, ValueType.tensor(DType.FLOAT)));
            }
        }
        Map<String, float[]> minMax = new LinkedHashMap<>();
        int[] runs = {0};
        try (Model model = Kiln.fromGraph(graph.name() + " (calibration)", b.build());
             Session session = model.session(options)) {
            for (Map<String, Tensor> sample : samples) {
                Map<String, Tensor> values = values(session, sample, tensors);
                for (String t : tensors) {
                    float[] mm = minMax.computeIfAbsent(t, k -> new float[] {Float.POSITIVE_INFINITY,
                            Float.NEGATIVE_INFINITY});
                    Tensor v = values.get(t);
                    for (long i = 0; i < v.size(); i++) {
                        float x = v.getFloat(i);
                        if (x == x) {
                            mm[0] = Math.min(mm[0], x);
                            mm[1] = Math.max(mm[1], x);
                        }
                    }
                }
                report(progress, runs);
            }
            if (method == Method.MINMAX) {
                Map<String, Range> ranges = new LinkedHashMap<>();
                minMax.forEach((t, mm) -> ranges.put(t, mm[0] > mm[1] ? new Range(0, 0) : new Range(mm[0], mm[1])));
                return ranges;
            }
            Map<String, long[]> histograms = new LinkedHashMap<>();
            for (Map<String, Tensor> sample : samples) {
                Map<String, Tensor> values = values(session, sample, tensors);
                for (String t : tensors) {
                    float[] mm = minMax.get(t);
                    long[] h = histograms.computeIfAbsent(t, k -> new long[BINS]);
                    Tensor v = values.get(t);
                    for (long i = 0; i < v.size(); i++) {
                        float x = v.getFloat(i);
                        if (x == x) {
                            h[bin(x, mm[0], mm[1])]++;
                        }
                    }
                }
                report(progress, runs);
            }
            Map<String, Range> ranges = new LinkedHashMap<>();
            histograms.forEach((t, h) -> ranges.put(t, percentile(h, minMax.get(t))));
            return ranges;
        }
    }

    private static void report(IntConsumer progress, int[] runs) {
        runs[0]++;
        if (progress != null) {
            progress.accept(runs[0]);
        }
    }

    private static Map<String, Tensor> values(Session session, Map<String, Tensor> sample, Collection<String> tensors) {
        Map<String, Tensor> out = new LinkedHashMap<>(session.run(sample));
        for (String t : tensors) {
            Tensor v = out.containsKey(t) ? out.get(t) : sample.get(t);
            if (v == null || v.dtype() != DType.FLOAT) {
                throw new IllegalArgumentException("cannot calibrate '" + t + "': "
                        + (v == null ? "no such value in the model or the sample" : "it is " + v.dtype() + ", not float"));
            }
            out.put(t, v);
        }
        return out;
    }

    private static int bin(float x, float min, float max) {
        if (max <= min) {
            return 0;
        }
        int i = (int) ((x - (double) min) / ((double) max - min) * BINS);
        return Math.max(0, Math.min(BINS - 1, i));
    }

    /** The bin edges at which the lower and upper {@code 1 - PERCENTILE} of the values are left out. */
    private static Range percentile(long[] h, float[] mm) {
        if (mm[0] > mm[1]) {
            return new Range(0, 0);
        }
        long total = 0;
        for (long c : h) {
            total += c;
        }
        long cut = (long) Math.floor(total * (1 - PERCENTILE));
        int lo = 0;
        for (long seen = 0; lo < BINS - 1 && seen + h[lo] <= cut; lo++) {
            seen += h[lo];
        }
        int hi = BINS - 1;
        for (long seen = 0; hi > lo && seen + h[hi] <= cut; hi--) {
            seen += h[hi];
        }
        double width = ((double) mm[1] - mm[0]) / BINS;
        return new Range((float) (mm[0] + lo * width), (float) (mm[0] + (hi + 1) * width));
    }
}

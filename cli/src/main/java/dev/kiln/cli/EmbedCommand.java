package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.ModelFormatException;
import dev.kiln.text.Embedder;
import dev.kiln.text.Encoding;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln embed TEXT...}: sentence embeddings and their cosine similarities. Without
 * {@code --model} it uses all-MiniLM-L6-v2, which the build places next to {@code kiln.jar}
 * (from langchain4j's model jar on Maven Central), so nothing is downloaded at run time.
 */
@Command(name = "embed", sortOptions = false,
        description = {"Embed texts with a sentence-embedding model; print each vector's first values and the "
                + "cosine-similarity matrix.",
                "Without --model: all-MiniLM-L6-v2 (384 dimensions, mean pooling, normalized)."})
final class EmbedCommand implements Callable<Integer> {
    /** Where the build puts the default models, relative to the folder of kiln.jar. */
    static final String DEFAULT_MODEL = "models/all-minilm-l6-v2";
    static final String DEFAULT_QUANTIZED_MODEL = "models/all-minilm-l6-v2-q";

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Texts to embed.")
    List<String> texts = new ArrayList<>();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Also embed each non-empty line of FILE (- for standard input).")
    Path file;

    @Option(names = "--model", paramLabel = "DIR|JAR|ONNX",
            description = "The model: a folder with an .onnx file and tokenizer.json, a jar holding both "
                    + "(such as langchain4j's model jars), or an .onnx file with tokenizer.json beside it.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The tokenizer.json, when it is not next to the model.")
    Path tokenizer;

    @Option(names = {"-q", "--quantized"}, description = "Use the int8 all-MiniLM-L6-v2 (smaller, faster, slightly less exact).")
    boolean quantized;

    @Option(names = "--json", description = "Print JSON: full vectors, token counts and the similarity matrix.")
    boolean json;

    @Option(names = "--values", paramLabel = "N", defaultValue = "6", description = "Leading values to print per vector (default: ${DEFAULT-VALUE}).")
    int values;

    @Option(names = "--no-normalize", description = "Keep the pooled vectors as they are instead of scaling them to length 1.")
    boolean noNormalize;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Texts per model run (default: 32; 1 with --quantized, whose activation scales are computed per run).")
    Integer batchSize;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<String> all = new ArrayList<>(texts);
        if (file != null) {
            all.addAll(readLines(file));
        }
        if (all.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give at least one text, e.g. kiln embed \"first text\" \"second text\"");
        }
        if (quantized && model != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--quantized picks the built-in int8 model; it does not combine with --model");
        }
        int batch = batchSize != null ? batchSize : quantized ? 1 : 32;
        if (values < 0 || batch < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--values must be at least 0 and --batch-size at least 1");
        }
        Path modelPath = model != null ? model : defaultModel(quantized);
        PrintStream err = System.err;
        String label = model != null ? String.valueOf(model.getFileName()) : (quantized ? "all-MiniLM-L6-v2 (int8)" : "all-MiniLM-L6-v2");
        err.printf(Locale.ROOT, "kiln: loading %s...%n", label);
        long t0 = System.nanoTime();
        Embedder.Builder b = Embedder.builder().model(modelPath).tokenizer(tokenizer).normalize(!noNormalize).batchSize(batch);
        if (threads != null) {
            b.threads(threads);
        }
        try (Embedder embedder = b.build()) {
            long t1 = System.nanoTime();
            err.printf(Locale.ROOT, "kiln: loaded in %.2f s; embedding %d text%s...%n", (t1 - t0) / 1e9, all.size(), all.size() == 1 ? "" : "s");
            List<float[]> vectors = embedder.embedAll(all);
            long t2 = System.nanoTime();
            int[] tokens = new int[all.size()];
            boolean cut = false;
            int max = embedder.tokenizer().truncation().map(t -> t.maxLength()).orElse(Integer.MAX_VALUE);
            for (int i = 0; i < all.size(); i++) {
                Encoding e = embedder.tokenizer().encode(all.get(i));
                tokens[i] = e.length();
                cut |= e.length() >= max;
            }
            err.printf(Locale.ROOT, "kiln: embedded in %.2f s%s%n", (t2 - t1) / 1e9,
                    cut ? " (texts longer than " + max + " tokens were cut to that length)" : "");
            double[][] sim = similarities(vectors);
            if (json) {
                printJson(label, all, tokens, vectors, sim);
            } else {
                printText(label, all, tokens, vectors, sim);
            }
        }
        return 0;
    }

    /** The default model folder next to kiln.jar. */
    static Path defaultModel(boolean quantized) {
        String rel = quantized ? DEFAULT_QUANTIZED_MODEL : DEFAULT_MODEL;
        Path home = jarFolder();
        Path dir = home == null ? null : home.resolve(rel);
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ModelFormatException("the built-in model is missing: expected " + (dir == null ? rel : dir)
                    + " next to kiln.jar (the build puts it there: mvn -B -pl cli -am package), or pass --model DIR|JAR|ONNX")
                    .inModel(quantized ? "all-MiniLM-L6-v2-q" : "all-MiniLM-L6-v2");
        }
        return dir;
    }

    private static Path jarFolder() {
        try {
            // kiln.jar, or target/classes when run from the build: either way its folder is target/.
            return Path.of(EmbedCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return null;
        }
    }

    private static List<String> readLines(Path f) throws IOException {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = f.toString().equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }

    private static double[][] similarities(List<float[]> v) {
        int n = v.size();
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                s[i][j] = s[j][i] = Embedder.cosine(v.get(i), v.get(j));
            }
        }
        return s;
    }

    private void printText(String label, List<String> texts, int[] tokens, List<float[]> vectors, double[][] sim) {
        PrintStream out = System.out;
        int dim = vectors.getFirst().length;
        out.printf(Locale.ROOT, "%s: %d dimensions%s%n", label, dim, noNormalize ? "" : ", normalized");
        for (int i = 0; i < texts.size(); i++) {
            StringBuilder b = new StringBuilder();
            float[] v = vectors.get(i);
            for (int k = 0; k < Math.min(values, dim); k++) {
                b.append(String.format(Locale.ROOT, "% .4f ", v[k]));
            }
            out.printf(Locale.ROOT, "[%d] %s (%d tokens)%n    %s%s%n", i + 1, quote(texts.get(i)), tokens[i], b,
                    values < dim ? "..." : "");
        }
        if (texts.size() > 1) {
            out.println();
            out.println("cosine similarity");
            StringBuilder head = new StringBuilder("     ");
            for (int j = 0; j < texts.size(); j++) {
                head.append(String.format(Locale.ROOT, "%7s", "[" + (j + 1) + "]"));
            }
            out.println(head);
            for (int i = 0; i < texts.size(); i++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-5s", "[" + (i + 1) + "]"));
                for (int j = 0; j < texts.size(); j++) {
                    row.append(String.format(Locale.ROOT, "%7.3f", sim[i][j]));
                }
                out.println(row);
            }
        }
    }

    private void printJson(String label, List<String> texts, int[] tokens, List<float[]> vectors, double[][] sim) throws IOException {
        ObjectMapper mapper = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        try (JsonGenerator g = mapper.getFactory().createGenerator(System.out)) {
            g.writeStartObject();
            g.writeStringField("model", label);
            g.writeNumberField("dimension", vectors.getFirst().length);
            g.writeBooleanField("normalized", !noNormalize);
            g.writeArrayFieldStart("embeddings");
            for (int i = 0; i < texts.size(); i++) {
                g.writeStartObject();
                g.writeStringField("text", texts.get(i));
                g.writeNumberField("tokens", tokens[i]);
                g.writeArrayFieldStart("vector");
                for (float x : vectors.get(i)) {
                    g.writeNumber(x);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("similarity");
            for (double[] row : sim) {
                g.writeStartArray();
                for (double x : row) {
                    g.writeNumber(Math.round(x * 1e6) / 1e6);
                }
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        System.out.println();
    }

    private static String quote(String s) {
        String one = s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "\"" + (one.length() > 60 ? one.substring(0, 57) + "..." : one) + "\"";
    }
}

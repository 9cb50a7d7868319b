package dev.kiln.graph;

import java.util.Map;

/**
 * What a reader produces: the main graph (carrying opsets and functions) plus model metadata,
 * and the resource (a mapped file) that keeps the graph's constants alive.
 *
 * @param graph the main graph
 * @param irVersion the file's IR version
 * @param producer who wrote the file (name and version)
 * @param metadata the model's metadata properties
 * @param resources what must be closed when the model is no longer used; may be {@code null}
 */
public record ModelData(Graph graph, long irVersion, String producer, Map<String, String> metadata,
                        AutoCloseable resources) {
    public ModelData {
        metadata = Map.copyOf(metadata);
    }
}

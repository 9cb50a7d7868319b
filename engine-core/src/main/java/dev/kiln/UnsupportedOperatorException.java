package dev.kiln;

import java.util.List;

/**
 * The model uses operators (or opset versions) Kiln cannot run. All of them are listed at once,
 * each with the nodes that use it, so one load tells the whole story.
 */
public final class UnsupportedOperatorException extends KilnException {
    private final List<String> operators;

    /**
     * @param operators one entry per unsupported operator, e.g. {@code "ai.onnx.ml.Foo (nodes: a, b)"}
     */
    public UnsupportedOperatorException(List<String> operators) {
        super("unsupported operator" + (operators.size() == 1 ? "" : "s") + ": " + String.join("; ", operators));
        this.operators = List.copyOf(operators);
    }

    /** The unsupported operators with their nodes. */
    public List<String> operators() {
        return operators;
    }
}

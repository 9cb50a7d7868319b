package dev.kiln.ops;

import java.util.Arrays;

/**
 * What an operator means: its domain and name, the opset versions in which it changed, and its
 * type and shape inference.
 */
public final class OpSchema {
    private final String domain;
    private final String opType;
    private final int[] sinceVersions;
    private final ShapeInference inference;

    OpSchema(String domain, String opType, int[] sinceVersions, ShapeInference inference) {
        this.domain = domain;
        this.opType = opType;
        this.sinceVersions = sinceVersions.clone();
        Arrays.sort(this.sinceVersions);
        this.inference = inference;
    }

    /** The domain ({@code ""} for the default ONNX domain). */
    public String domain() {
        return domain;
    }

    /** The operator name. */
    public String opType() {
        return opType;
    }

    /** The opset versions that introduced or changed this operator, ascending. */
    public int[] sinceVersions() {
        return sinceVersions.clone();
    }

    /**
     * The version of this operator in force at {@code opset}: the largest since-version not
     * above it, or -1 when the operator did not exist yet.
     */
    public int versionAt(int opset) {
        int v = -1;
        for (int s : sinceVersions) {
            if (s <= opset) {
                v = s;
            }
        }
        return v;
    }

    /** The inference function, or {@code null} when outputs cannot be inferred statically. */
    public ShapeInference inference() {
        return inference;
    }

    @Override
    public String toString() {
        return (domain.isEmpty() ? "" : domain + ".") + opType + Arrays.toString(sinceVersions);
    }
}

package dev.kiln;

/**
 * The root of every error Kiln reports about a model, its inputs or the machine. The message
 * names the model, the node and the tensor involved, as far as they are known where the error
 * surfaces; layers that know more add it as the exception travels up ({@link #inModel},
 * {@link #atNode}, {@link #forTensor}).
 */
public abstract sealed class KilnException extends RuntimeException
        permits ModelFormatException, UnsupportedOperatorException, InvalidInputException,
        ShapeInferenceException, ResourceLimitException, BackendUnavailableException {

    private final String reason;
    private String model;
    private String node;
    private String tensor;

    protected KilnException(String reason) {
        this(reason, null);
    }

    protected KilnException(String reason, Throwable cause) {
        super(reason, cause);
        this.reason = reason;
    }

    /** Records the model, unless one is already recorded. Returns this exception. */
    public KilnException inModel(String modelName) {
        if (model == null) {
            model = modelName;
        }
        return this;
    }

    /** Records the node (name and op type), unless one is already recorded. */
    public KilnException atNode(String nodeDescription) {
        if (node == null) {
            node = nodeDescription;
        }
        return this;
    }

    /** Records the tensor, unless one is already recorded. */
    public KilnException forTensor(String tensorName) {
        if (tensor == null) {
            tensor = tensorName;
        }
        return this;
    }

    /** The model's name, or {@code null}. */
    public String model() {
        return model;
    }

    /** The node, as {@code 'name' (OpType)}, or {@code null}. */
    public String node() {
        return node;
    }

    /** The tensor's name, or {@code null}. */
    public String tensor() {
        return tensor;
    }

    /** The reason alone, without the context. */
    public String reason() {
        return reason;
    }

    @Override
    public String getMessage() {
        StringBuilder b = new StringBuilder();
        if (model != null) {
            b.append("model ").append(model).append(": ");
        }
        if (node != null) {
            b.append("node ").append(node).append(": ");
        }
        if (tensor != null) {
            b.append("tensor '").append(tensor).append("': ");
        }
        return b.append(reason).toString();
    }
}

package dev.kiln;

/** Types or shapes in the model contradict each other or an operator's rules. */
public final class ShapeInferenceException extends KilnException {
    /** An exception with the given reason. */
    public ShapeInferenceException(String reason) {
        super(reason);
    }

    /** An exception with the given reason and cause. */
    public ShapeInferenceException(String reason, Throwable cause) {
        super(reason, cause);
    }
}

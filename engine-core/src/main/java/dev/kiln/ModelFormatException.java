package dev.kiln;

/** The model file is not a valid ONNX model: truncated, corrupt, inconsistent, or pointing outside its folder. */
public final class ModelFormatException extends KilnException {
    /** An exception with the given reason. */
    public ModelFormatException(String reason) {
        super(reason);
    }

    /** An exception with the given reason and cause. */
    public ModelFormatException(String reason, Throwable cause) {
        super(reason, cause);
    }
}

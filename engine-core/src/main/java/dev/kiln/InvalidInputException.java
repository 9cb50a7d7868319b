package dev.kiln;

/** An input given to a run (or data computed from it) is missing, of the wrong type or shape, or out of range. */
public final class InvalidInputException extends KilnException {
    /** An exception with the given reason. */
    public InvalidInputException(String reason) {
        super(reason);
    }

    /** An exception with the given reason and cause. */
    public InvalidInputException(String reason, Throwable cause) {
        super(reason, cause);
    }
}

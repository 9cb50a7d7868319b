package dev.kiln;

/** An operation would exceed a configured limit (memory budget, nesting depth, sizes). */
public final class ResourceLimitException extends KilnException {
    /** An exception with the given reason. */
    public ResourceLimitException(String reason) {
        super(reason);
    }

    /** An exception with the given reason and cause. */
    public ResourceLimitException(String reason, Throwable cause) {
        super(reason, cause);
    }
}

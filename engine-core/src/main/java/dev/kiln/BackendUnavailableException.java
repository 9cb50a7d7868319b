package dev.kiln;

/** A requested backend (device) cannot be used on this machine; the message says why. */
public final class BackendUnavailableException extends KilnException {
    /** An exception with the given reason. */
    public BackendUnavailableException(String reason) {
        super(reason);
    }

    /** An exception with the given reason and cause. */
    public BackendUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}

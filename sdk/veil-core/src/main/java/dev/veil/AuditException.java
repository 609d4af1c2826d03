package dev.veil;

/**
 * The audit log cannot be opened, read or written: a directory that does not exist, a file another
 * writer holds, a log whose last record was cut short or edited, a writer that failed. Thrown when a
 * Guard is built on such a log; a request whose record cannot be written is not an exception but a
 * {@link Response.Denied} with reason {@link ReasonCode#AUDIT_UNAVAILABLE}.
 */
public class AuditException extends VeilException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong and how to fix it
     */
    public AuditException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and how to fix it
     * @param cause the underlying failure
     */
    public AuditException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For hot paths: an exception without a stack trace. */
    protected AuditException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, writableStackTrace);
    }
}

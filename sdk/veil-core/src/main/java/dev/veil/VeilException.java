package dev.veil;

/**
 * The one root of every exception Veil throws. Unchecked, so that guarded functions compose with
 * {@code java.util.function}.
 *
 * <p>An exception from Veil always means "could not evaluate" (a bundle that does not load, a
 * configuration that makes no sense, an audit log that cannot be read). A request that is refused
 * is not an exception: {@link Guard#predict} returns a {@link Response.Denied} with reasons.
 */
public class VeilException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VeilException(String message) {
        super(message);
    }

    public VeilException(String message, Throwable cause) {
        super(message, cause);
    }

    /** For hot paths: an exception without a stack trace. */
    protected VeilException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, false, writableStackTrace);
    }
}

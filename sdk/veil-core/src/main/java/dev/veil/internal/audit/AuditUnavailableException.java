package dev.veil.internal.audit;

import dev.veil.AuditException;
import java.time.Duration;

/**
 * The audit record could not be accepted: the queue stayed full past the configured maximum wait,
 * the log is closed, its writer failed, or the file cannot be opened for appending. The Guard then
 * withholds the answer (reason {@code audit_unavailable}): nothing is released unrecorded.
 *
 * <p>Callers outside Veil catch it as the public {@link AuditException}. The hot-path variants
 * ({@link #queueFull}) carry no stack trace.
 */
public final class AuditUnavailableException extends AuditException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong and how to fix it
     */
    public AuditUnavailableException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and how to fix it
     * @param cause the underlying failure
     */
    public AuditUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    private AuditUnavailableException(String message, boolean writableStackTrace) {
        super(message, null, writableStackTrace);
    }

    /**
     * The queue stayed full for the whole wait.
     *
     * @param log the log's name (its file)
     * @param capacity the queue capacity
     * @param maxWait how long the producer waited
     * @return an exception without a stack trace
     */
    public static AuditUnavailableException queueFull(String log, int capacity, Duration maxWait) {
        return new AuditUnavailableException("audit log " + log + ": queue full (" + capacity
                + " records) for " + maxWait.toMillis() + " ms: the writer cannot keep up or is stalled;"
                + " raise the queue capacity or maxWait, or check the disk", false);
    }
}

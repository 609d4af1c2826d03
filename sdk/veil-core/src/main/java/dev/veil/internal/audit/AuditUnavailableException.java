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

    /**
     * The records waiting to be written took the queue's whole byte bound for the whole wait.
     *
     * @param log the log's name (its file)
     * @param queueBytes the bound, in bytes
     * @param maxWait how long the producer waited
     * @return an exception without a stack trace
     */
    public static AuditUnavailableException queueFullOfBytes(String log, long queueBytes, Duration maxWait) {
        return new AuditUnavailableException("audit log " + log + ": queue full (the records waiting to be written take"
                + " about " + (queueBytes >= 1 << 20 ? (queueBytes >> 20) + " MiB" : queueBytes + " bytes") + ", the most it holds) for " + maxWait.toMillis() + " ms: the"
                + " writer cannot keep up with records this large or is stalled; raise maxWait, record large inputs as"
                + " digests or not at all (the policy's logging section, input: digest or mask), or check the disk", false);
    }
}

package dev.veil.internal.audit;

import dev.veil.AuditLog;
import java.util.Objects;

/** Opens {@link AuditWriter}s. Stateless and thread-safe. */
public final class AuditWriters {
    private AuditWriters() {}

    /**
     * The bounds the writers opened from now on get: {@link AuditLimits#DEFAULT}, which only a test
     * changes (and restores), to see what happens at a bound in seconds and a small heap.
     */
    static volatile AuditLimits limits = AuditLimits.DEFAULT;

    /**
     * Opens the configured log for appending and starts its writer thread. An existing file
     * continues its chain from its last record.
     *
     * @param config the log's configuration
     * @return the writer; the caller must {@link AuditWriter#close()} it
     * @throws AuditUnavailableException when the file cannot be opened, is locked by another writer,
     *     or its last record is truncated or altered
     */
    public static AuditWriter open(AuditLog config) {
        Objects.requireNonNull(config, "config");
        boolean durable = config.mode() == AuditLog.Mode.DURABLE;
        AuditLimits bounds = limits;
        AuditFile file = AuditFile.open(config.file());
        try {
            return durable
                    ? new DurableAuditWriter(file, file.lastHash(), config.maxWait(), bounds)
                    : new AsyncAuditWriter(file, file.lastHash(), config.queueCapacity(), config.maxWait(), bounds,
                            System::nanoTime);
        } catch (RuntimeException | Error e) {
            try {
                file.close();
            } catch (java.io.IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * An in-memory log for tests and examples.
     *
     * @param capacity the most records it keeps, at least 1; later appends are refused
     * @return the writer
     */
    public static MemoryAuditWriter inMemory(int capacity) {
        return new MemoryAuditWriter(capacity);
    }
}

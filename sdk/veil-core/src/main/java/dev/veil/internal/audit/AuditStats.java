package dev.veil.internal.audit;

/**
 * Counters of an {@link AuditWriter}, as a snapshot.
 *
 * @param recordsWritten records written (and, for a durable writer, forced to the device)
 * @param batches write calls (durable: group commits, one force each)
 * @param maxQueueDepth the most records that were ever waiting for the writer thread at once
 * @param producerWaits appends that had to wait: asynchronous, appends that found the queue full (and
 *     waited up to the maximum wait); durable, for an
 *     earlier batch's commit before theirs could start
 * @param rejected appends refused with {@link AuditUnavailableException}
 * @param lost accepted records that could not be written because the writer failed (always 0
 *     unless the writer failed, which is also logged)
 */
public record AuditStats(
        long recordsWritten, long batches, int maxQueueDepth, long producerWaits, long rejected, long lost) {}

package dev.veil.internal.audit;

/**
 * How much a file writer holds in memory, and how often the asynchronous one forces the file to
 * the device. Not part of the public API ({@link dev.veil.AuditLog} sets the queue's capacity in
 * records and its wait): the defaults are what every Guard uses; tests give smaller bounds, so that
 * what happens at the bound runs in seconds and in a small heap.
 *
 * @param batchBytes the most bytes one write holds, unless it is one record bigger than this, written
 *     alone: a writer puts records into one batch as long as their estimates ({@link
 *     AuditRecord#estimatedBytes()}, never less than their bytes) sum to at most this
 * @param queueBytes async: the records accepted and not yet written take at most this many bytes by
 *     their estimates; a record that does not fit waits for room like one that finds the queue full
 *     (one record alone may exceed it, when nothing else is waiting)
 * @param bufferLimit the most bytes the batch buffer may hold; a record that does not fit (which only
 *     a smaller limit than the default makes possible, records being far smaller) fails on its own,
 *     as one that cannot be serialised
 * @param forceNanos async: after a batch, or when it finds the queue empty, the writer forces the file
 *     to the device when it has written since it last did and this long has passed since then
 */
record AuditLimits(int batchBytes, long queueBytes, int bufferLimit, long forceNanos) {
    /** The bounds every Guard uses: batches of 16 MiB, a queue of 64 MiB, a force at most every second. */
    static final AuditLimits DEFAULT = new AuditLimits(16 << 20, 64L << 20, ByteSink.MAX_LIMIT, 1_000_000_000L);

    AuditLimits {
        if (batchBytes < 1 || queueBytes < 1 || bufferLimit < 1 || forceNanos < 0) {
            throw new IllegalArgumentException("batchBytes, queueBytes and bufferLimit must be >= 1 and forceNanos >= 0, "
                    + "was " + batchBytes + ", " + queueBytes + ", " + bufferLimit + " and " + forceNanos);
        }
        if (bufferLimit > ByteSink.MAX_LIMIT) {
            throw new IllegalArgumentException("bufferLimit must be <= " + ByteSink.MAX_LIMIT + ", was " + bufferLimit);
        }
    }
}

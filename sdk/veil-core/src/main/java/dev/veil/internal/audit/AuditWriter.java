package dev.veil.internal.audit;

/**
 * Appends {@link AuditRecord}s to a hash-chained JSON-lines log. Implementations serialise, mask,
 * digest and hash on one writer thread of their own and write records in the order of their chain.
 *
 * <p>Thread-safe: any number of request threads may call {@link #append} at once.
 */
public interface AuditWriter extends AutoCloseable {

    /**
     * Hands one record to the log. When this returns normally the record is accepted: it will be
     * written unless the process dies or the disk fails (asynchronous writer), or it is already
     * written and forced to the device (durable writer).
     *
     * @param record the record
     * @throws AuditUnavailableException when the record cannot be accepted (queue full past the
     *     maximum wait, writer failed, log closed): the caller must withhold its answer
     */
    void append(AuditRecord record);

    /**
     * Why {@link #append} would refuse a record now, as far as the writer knows without trying, or
     * null: the refusal while the log is closed or cannot be written (a full disk it waits out, a
     * failure for good). The Guard asks before it runs a request, so that a request whose record
     * would be refused spends no quota, rate token or privacy budget and never reaches the model;
     * the refusal says why (it is the cause the Guard logs). Null does not promise that the next
     * append succeeds.
     */
    AuditUnavailableException refusal();

    /** @return a snapshot of the writer's counters */
    AuditStats stats();

    /**
     * Writes every accepted record, forces the file to the device and releases it. Idempotent;
     * appends after (or racing with) close are refused with {@link AuditUnavailableException}, never
     * silently lost.
     *
     * @throws AuditUnavailableException when the writer had failed and accepted records could not be
     *     written (they are counted in {@link AuditStats#lost()})
     */
    @Override
    void close();
}

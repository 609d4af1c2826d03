package dev.veil.internal.audit;

import dev.veil.internal.text.ControlChars;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Durable audit writer with group commit: appenders add their record to the pending batch and
 * wait; one writer thread takes the whole batch, serialises, writes and forces it to the device,
 * then releases every appender of that batch. When {@link #append} returns, the record is in the
 * file and on the device. File order is batch order is chain order.
 *
 * <p>Thread-safe. A batch takes the records waiting, in order, as long as their estimates
 * ({@link AuditRecord#estimatedBytes()}) sum to at most {@link AuditLimits#batchBytes()} (a record
 * bigger than that goes alone), so that what the writer holds in memory does not grow with the
 * records' size; an append waits for the batches before its own. A record still
 * waiting for its batch to begin after {@code maxWait} is taken back and refused; a record whose
 * batch has begun cannot be taken back, so its append waits for that batch. A record that cannot be
 * serialised (the heap ran out, say) refuses its own request only; the rest of its batch is written. A batch that takes
 * longer than {@link #SLOW_BATCH_NANOS} is logged (at most once a minute). If a write or force
 * fails, every appender of that batch and of those waiting behind it gets
 * {@link AuditUnavailableException}, and their records are taken back from the file and the chain.
 * A failure that may pass (a full disk, an I/O error; the batch taken back) then refuses appends for
 * {@value #RETRY_FIRST_MILLIS} ms, doubling after each batch that fails again up to
 * {@value #RETRY_MAX_MILLIS} ms, and lets the next batch try: the log works again by itself once the
 * disk does. A failure for good (the file deleted, a batch that could not be taken back) refuses
 * every later append. {@link #close} never throws for a failure: no accepted record can be lost.
 */
public final class DurableAuditWriter extends WriterThread {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition batchDone = lock.newCondition();
    // guarded by lock
    private ArrayList<Ticket> pending = new ArrayList<>();
    private boolean busy;
    // Written under the lock, read also without it by refusal() (before every request): volatile,
    // and permanent and retryAt are written before failure, which is read first.
    private volatile boolean closed;
    /** Why appends are refused: the last failed write, until a batch succeeds (or for good). */
    private volatile Throwable failure;
    /** The failure cannot pass: every later append is refused. */
    private volatile boolean permanent;
    /** While failing: appends are refused until this {@link System#nanoTime()}, then a batch tries. */
    private volatile long retryAt;
    private long retryDelayNanos;
    /** When the current failure began (writer thread only, for the log). */
    private long failingSince;
    private long written;
    private long batches;
    private int maxDepth;
    private long producerWaits;
    private long rejected;

    /**
     * One append's record and what became of it (guarded by lock). Each appender waits on its own
     * ticket: a later batch that is written says nothing about a record whose batch failed.
     */
    private static final class Ticket {
        final AuditRecord record;
        /** In a batch being written: it cannot be taken back. */
        boolean taken;
        /** Set once: written to the file and forced, or refused. */
        boolean written;
        boolean refused;
        /** Why this record alone was refused (it could not be serialised), or null. */
        Throwable error;

        Ticket(AuditRecord record) {
            this.record = record;
        }
    }

    /** The first wait before a batch may try again after a failure. */
    static final long RETRY_FIRST_MILLIS = 10;
    /** The longest wait between two batches that try after a failure. */
    static final long RETRY_MAX_MILLIS = 1000;

    /** A batch slower than this (write and force) is logged. */
    static final long SLOW_BATCH_NANOS = 1_000_000_000L;
    private final long maxWaitNanos;
    private long lastSlowLog = System.nanoTime() - 120_000_000_000L; // writer thread only

    /**
     * Starts a writer thread over {@code sink}.
     *
     * @param sink where lines go; owned (closed) by this writer
     * @param prevHash the chain's previous hash (64 zeros for a new log)
     * @param maxWait how long a record may wait for its batch to begin
     */
    DurableAuditWriter(Sink sink, String prevHash, java.time.Duration maxWait) {
        this(sink, prevHash, maxWait, AuditLimits.DEFAULT);
    }

    /**
     * Starts a writer thread over {@code sink} with the given bounds.
     *
     * @param sink where lines go; owned (closed) by this writer
     * @param prevHash the chain's previous hash (64 zeros for a new log)
     * @param maxWait how long a record may wait for its batch to begin
     * @param limits the bound of a batch's bytes
     */
    DurableAuditWriter(Sink sink, String prevHash, java.time.Duration maxWait, AuditLimits limits) {
        super(sink, prevHash, "veil-audit-committer", limits);
        this.maxWaitNanos = maxWait.toNanos();
        start();
    }

    @Override
    public void append(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        lock.lock();
        try {
            if (refusesAtTheDoor()) {
                rejected++;
                throw notOpen();
            }
            Ticket mine = new Ticket(record);
            pending.add(mine);
            maxDepth = Math.max(maxDepth, pending.size());
            if (busy) {
                producerWaits++;
            }
            workAvailable.signal();
            long deadline = System.nanoTime() + maxWaitNanos;
            boolean interrupted = false;
            try {
                while (!mine.written) {
                    if (mine.refused) {
                        rejected++;
                        if (mine.error != null) {
                            throw new AuditUnavailableException("audit log " + sink.name() + ": the record of this "
                                    + "request could not be serialised (" + mine.error + "); the request is refused, "
                                    + "and the log goes on", mine.error);
                        }
                        throw notOpen();
                    }
                    long left = deadline - System.nanoTime();
                    if (!mine.taken && left <= 0) {
                        withdraw(mine);
                        rejected++;
                        throw new AuditUnavailableException("audit log " + sink.name() + ": the record waited "
                                + maxWaitNanos / 1_000_000 + " ms behind a write that has not finished (a slow or "
                                + "stalled disk) and was taken back");
                    }
                    try {
                        if (!mine.taken) {
                            batchDone.awaitNanos(left);
                        } else {
                            batchDone.await(); // in the batch being written: it cannot be taken back
                        }
                    } catch (InterruptedException e) {
                        interrupted = true; // as before: a record is never abandoned for an interrupt
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Takes a ticket that no batch has taken yet out of the pending list (by identity). */
    private void withdraw(Ticket ticket) {
        for (int i = pending.size() - 1; i >= 0; i--) {
            if (pending.get(i) == ticket) {
                pending.remove(i);
                return;
            }
        }
    }

    @Override
    public AuditUnavailableException refusal() {
        return refusesAtTheDoor() ? notOpen() : null; // no lock: a request thread asks before every request
    }

    /**
     * Whether an append is refused before it joins a batch: closed, failed for good, or failing and
     * within the back-off. With or without the lock.
     */
    private boolean refusesAtTheDoor() {
        if (closed) {
            return true;
        }
        Throwable f = failure; // first: permanent and retryAt were written before it
        return f != null && (permanent || System.nanoTime() - retryAt < 0);
    }

    @Override
    public AuditStats stats() {
        lock.lock();
        try {
            return new AuditStats(written, batches, maxDepth, producerWaits, rejected, 0);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            workAvailable.signal();
        } finally {
            lock.unlock();
        }
        joinAndCloseSink(() -> {
            lock.lock();
            try {
                return failure == null;
            } finally {
                lock.unlock();
            }
        });
        // Nothing to report: every record accepted was on the device before its append returned, and a
        // request whose record could not be written was refused, not lost (its failure was logged then).
    }

    @Override
    void runWriter() {
        ArrayList<Ticket> batch = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                while (pending.isEmpty() && !closed) {
                    workAvailable.awaitUninterruptibly();
                }
                if (pending.isEmpty()) {
                    return;
                }
                int take = batchLength(pending);
                if (take == pending.size()) {
                    ArrayList<Ticket> t = pending;
                    pending = batch;
                    batch = t;
                } else {
                    List<Ticket> head = pending.subList(0, take);
                    batch.addAll(head);
                    head.clear();
                }
                busy = true;
                for (Ticket ticket : batch) {
                    ticket.taken = true;
                }
            } finally {
                lock.unlock();
            }
            Throwable error = null;
            boolean again = false;
            long t0 = System.nanoTime();
            int n = 0;
            try {
                beginBatch();
                for (Ticket ticket : batch) {
                    ticket.error = serializeOne(ticket.record);
                    if (ticket.error == null) {
                        n++;
                    }
                }
                if (n > 0) {
                    writeSerialized(true);
                }
            } catch (Throwable t) {
                error = t;
                again = t instanceof java.io.IOException && retryable();
                rewind(); // the batch is not in the file: the next record follows the one before it
            }
            long took = System.nanoTime() - t0;
            if (took > SLOW_BATCH_NANOS && t0 - lastSlowLog > 60_000_000_000L) {
                lastSlowLog = t0;
                LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("audit log " + sink.name() + ": writing and syncing a batch of "
                        + batch.size() + " record(s) took " + took / 1_000_000 + " ms; requests wait for it "
                        + "(durable mode), and records still waiting after maxWait are refused"));
            }
            lock.lock();
            try {
                busy = false;
                if (error == null) {
                    for (Ticket ticket : batch) {
                        if (ticket.error == null) {
                            ticket.written = true;
                        } else {
                            ticket.refused = true; // this record alone: the others are written
                        }
                    }
                    written += n;
                    if (n > 0) {
                        batches++;
                    }
                    if (failure != null) {
                        failure = null;
                        if (outageEnds()) {
                            LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("audit log " + sink.name() + ": writing again after "
                                    + TimeUnit.NANOSECONDS.toMillis(t0 - failingSince) + " ms; requests are accepted "
                                    + "again"));
                        }
                    }
                } else {
                    // this batch and every record waiting behind it are refused and forgotten
                    int refusedNow = batch.size() + pending.size();
                    for (Ticket ticket : batch) {
                        ticket.refused = true;
                        ticket.error = null; // refused with the batch, for the batch's failure
                    }
                    for (Ticket ticket : pending) {
                        ticket.refused = true;
                    }
                    pending.clear();
                    boolean first = failure == null;
                    permanent = !again;
                    retryDelayNanos = first ? TimeUnit.MILLISECONDS.toNanos(RETRY_FIRST_MILLIS)
                            : Math.min(2 * retryDelayNanos, TimeUnit.MILLISECONDS.toNanos(RETRY_MAX_MILLIS));
                    retryAt = System.nanoTime() + retryDelayNanos;
                    failure = error; // last: refusal() reads it first
                    if (!first && again) {
                        String lasting = outageLasts(failingSince);
                        if (lasting != null) {
                            LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": cannot write for a "
                                    + "minute (" + error + "); requests are refused until a batch can be written (one "
                                    + "tries at least every " + RETRY_MAX_MILLIS + " ms)" + lasting), error);
                        }
                    }
                    if (first) {
                        failingSince = t0;
                        String note = again ? outageStarts() : null;
                        if (note != null) {
                            LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": cannot write (" + error
                                    + "); the " + refusedNow + " request(s) of the batch and behind it were refused, "
                                    + "their records taken back from the file; requests are refused until a batch "
                                    + "can be written (one tries at least every " + RETRY_MAX_MILLIS + " ms)" + note),
                                    error);
                        }
                    }
                }
                batchDone.signalAll();
            } finally {
                lock.unlock();
            }
            if (error == null && n < batch.size()) {
                for (Ticket ticket : batch) {
                    if (ticket.error != null) {
                        LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": the record of decision "
                                + ticket.record.decisionId() + " could not be serialised (" + ticket.error + "); its "
                                + "request is refused (audit_unavailable), the rest of its batch is written, and the log "
                                + "goes on"), ticket.error);
                    }
                }
            }
            if (error != null && !again) {
                logFailure(error, "the " + batch.size() + " request(s) of the batch being written were refused, "
                        + "their records taken back from the file");
                batch.clear();
                return;
            }
            batch.clear();
        }
    }

    /**
     * How many of the records waiting, from the first, the next batch takes: as many as their
     * estimates allow within {@link AuditLimits#batchBytes()}, at least one.
     */
    private int batchLength(List<Ticket> waiting) {
        long bytes = 0;
        for (int i = 0; i < waiting.size(); i++) {
            bytes += waiting.get(i).record.estimatedBytes();
            if (i > 0 && bytes > limits.batchBytes()) {
                return i;
            }
        }
        return waiting.size();
    }

    private AuditUnavailableException notOpen() {
        Throwable f = failure;
        if (f != null && !permanent) {
            return new AuditUnavailableException("audit log " + sink.name() + " cannot be written (" + f
                    + ") and accepts no records until it can: the next batch tries within "
                    + Math.max(0, TimeUnit.NANOSECONDS.toMillis(retryAt - System.nanoTime())) + " ms");
        }
        return f != null
                ? new AuditUnavailableException("audit log " + sink.name() + " failed and accepts no records: " + f)
                : new AuditUnavailableException("audit log " + sink.name() + " is closed");
    }
}

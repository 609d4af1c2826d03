package dev.veil.internal.audit;

import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Durable audit writer with group commit: appenders add their record to the pending batch and
 * wait; one writer thread takes the whole batch, serialises, writes and forces it to the device,
 * then releases every appender of that batch. When {@link #append} returns, the record is in the
 * file and on the device. File order is batch order is chain order.
 *
 * <p>Thread-safe. An append waits for at most the batch in progress plus its own; there is no
 * timeout, since a record whose write has begun cannot be taken back. If a write or force fails,
 * every appender of that batch and every later one gets {@link AuditUnavailableException}.
 */
public final class DurableAuditWriter extends WriterThread {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition batchDone = lock.newCondition();
    // guarded by lock
    private ArrayList<AuditRecord> pending = new ArrayList<>();
    private long enqueued;
    private long committed;
    private boolean busy;
    private boolean closed;
    private Throwable failure;
    private long written;
    private long batches;
    private int maxDepth;
    private long producerWaits;
    private long rejected;
    private long failedRecords;

    /**
     * Starts a writer thread over {@code sink}.
     *
     * @param sink where lines go; owned (closed) by this writer
     * @param prevHash the chain's previous hash (64 zeros for a new log)
     */
    DurableAuditWriter(Sink sink, String prevHash) {
        super(sink, prevHash, "veil-audit-committer");
        start();
    }

    @Override
    public void append(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        lock.lock();
        try {
            if (closed || failure != null) {
                rejected++;
                throw notOpen();
            }
            pending.add(record);
            long mine = ++enqueued;
            maxDepth = Math.max(maxDepth, pending.size());
            if (busy) {
                producerWaits++;
            }
            workAvailable.signal();
            while (committed < mine) {
                if (failure != null) {
                    rejected++;
                    throw notOpen();
                }
                batchDone.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
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
        lock.lock();
        try {
            if (failure != null) {
                throw new AuditUnavailableException("audit log " + sink.name() + " failed; " + failedRecords
                        + " request(s) were refused, their records not written (the batch being written and those "
                        + "waiting behind it): " + failure, failure);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    void runWriter() {
        ArrayList<AuditRecord> batch = new ArrayList<>();
        while (true) {
            long upTo;
            lock.lock();
            try {
                while (pending.isEmpty() && !closed) {
                    workAvailable.awaitUninterruptibly();
                }
                if (pending.isEmpty()) {
                    return;
                }
                ArrayList<AuditRecord> t = pending;
                pending = batch;
                batch = t;
                busy = true;
                upTo = enqueued;
            } finally {
                lock.unlock();
            }
            Throwable error = null;
            try {
                writeBatch(batch, true);
            } catch (Throwable t) {
                error = t;
            }
            lock.lock();
            try {
                busy = false;
                if (error == null) {
                    committed = upTo;
                    written += batch.size();
                    batches++;
                } else {
                    failure = error;
                    failedRecords = enqueued - committed;
                }
                batchDone.signalAll();
            } finally {
                lock.unlock();
            }
            if (error != null) {
                logFailure(error, "the " + batch.size() + " request(s) of the batch being written were refused, "
                        + "their records taken back from the file");
                batch.clear();
                return;
            }
            batch.clear();
        }
    }

    private AuditUnavailableException notOpen() {
        return failure != null
                ? new AuditUnavailableException("audit log " + sink.name() + " failed and accepts no records: " + failure)
                : new AuditUnavailableException("audit log " + sink.name() + " is closed");
    }
}

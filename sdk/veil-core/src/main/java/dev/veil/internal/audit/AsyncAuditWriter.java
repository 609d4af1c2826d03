package dev.veil.internal.audit;

import dev.veil.internal.text.ControlChars;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Asynchronous audit writer: request threads put records in a bounded queue; one writer thread
 * drains it in batches, serialises, masks, digests, hashes and writes. A producer that finds the
 * queue full waits up to the configured maximum and then gets {@link AuditUnavailableException};
 * a record is never dropped silently. File order is queue order is chain order.
 *
 * <p>Thread-safe. {@link #append} costs one queue insertion (and takes the queue's lock briefly);
 * {@link #close()} drains the queue, forces the file and releases it.
 *
 * <p>Waking the writer: a writer blocked in {@code take()} would have every append signal it, and
 * on a busy machine that is a futex system call on the request thread for almost every record
 * (benchmarks/README.md: with it, a Guard call took 9.4 instead of 6.4 microseconds at the median
 * and 26 instead of 9 on average, on 2 cores). So while records flow, the writer naps
 * {@value #NAP_MILLIS} ms when it finds the queue empty and takes what gathered in one batch;
 * producers never signal it then. Only after {@value #NAPS_BEFORE_SLEEP} empty naps in a row does it
 * sleep until the next append wakes it; a producer that finds the queue full, or {@link #close()},
 * wakes it at once. A record thus reaches the file about {@value #NAP_MILLIS} ms after it was
 * accepted, plus the time to serialise and write its batch (up to {@value #MAX_BATCH} records,
 * written in pieces of at most {@link AuditLimits#batchBytes()}).
 *
 * <p>Bounded in bytes as well as in records: the records accepted and not yet written take at most
 * {@link AuditLimits#queueBytes()} by their estimates ({@link AuditRecord#estimatedBytes()}; one
 * record alone may take more), and an append that finds no room waits, then is refused, as one that
 * finds the queue full. The writer writes out what it serialised before a record that would take
 * its buffer past {@link AuditLimits#batchBytes()} by its estimate: each write holds at most that
 * many bytes, or one record bigger than that alone, so that what it holds in memory does not grow
 * with the records' size. A record that cannot be serialised (the heap
 * ran out, say) is that record's failure: its answer was released, so the writer writes its
 * {@link AuditRecord#minimal() minimal record} in its place, says so in the log, and goes on.
 *
 * <p>The writer forces the file to the device (fdatasync) after a batch, or when it finds the queue
 * empty (it looks every {@value #NAP_MILLIS} ms, and does not sleep while it has written records it
 * has not forced), once {@link AuditLimits#forceNanos()} (a second) has passed since it last did: a
 * record written is on the device a second later at most, plus the time to write one batch. A force
 * that fails is a failed write of the batch it followed (held and tried again).
 *
 * <p>An accepted record is written unless the process dies first or the sink fails for good. A
 * failed write that may pass (a full disk, an I/O error) whose batch was taken back from the file
 * is not for good: the writer holds that batch and the queue behind it, refuses every append
 * meanwhile, and writes them all, in order, once the write succeeds again, so nothing accepted is
 * lost and appends are accepted again. A failure for good (the file deleted,
 * a batch that could not be taken back, a close while failing) refuses every later append, and the
 * records that could not be written are counted in {@link AuditStats#lost()} and logged.
 */
public final class AsyncAuditWriter extends WriterThread {
    private static final int MAX_BATCH = 1024;
    private static final Object WAKE_UP = new Object();
    static final long NAP_MILLIS = 1;
    private static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(NAP_MILLIS);
    static final int NAPS_BEFORE_SLEEP = 100;
    /** The first wait before writing a held batch again after a failure. */
    static final long RETRY_FIRST_MILLIS = 10;
    /** The longest wait between two tries of a held batch. */
    static final long RETRY_MAX_MILLIS = 1000;
    /** Bounds a sleep even though a producer always wakes a sleeping writer. */
    private static final long SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ArrayBlockingQueue<Object> queue;
    /** The estimates of the records accepted and not yet written (or given up): at most limits.queueBytes(), or one record. */
    private final AtomicLong pendingBytes = new AtomicLong();
    /** Producers waiting for {@link #pendingBytes} to shrink wait on {@link #roomFreed}. */
    private final ReentrantLock roomLock = new ReentrantLock();
    private final Condition roomFreed = roomLock.newCondition();
    private final AtomicInteger roomWaiters = new AtomicInteger();
    /** {@link System#nanoTime()}, or a test's clock, for the forces. */
    private final LongSupplier clock;
    /** When the writer last forced the file (writer thread only). */
    private long lastForce;
    /** Whether the writer wrote since it last forced the file (writer thread only). */
    private boolean unforced;
    private final int capacity;
    private final Duration maxWait;
    private final long maxWaitNanos;
    private final LongAdder producerWaits = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final AtomicInteger maxDepth = new AtomicInteger();
    private final Object closeLock = new Object();
    private final int wakeDepth;
    private volatile boolean closed;
    /** The writer sleeps until woken (not a timed nap): the next append must wake it. */
    private volatile boolean sleeping;
    /** Why appends are refused: the write that failed (for good, or while {@link #retrying}). */
    private volatile Throwable failure;
    /** The writer holds a batch it could not write and tries again: {@link #failure} may pass. */
    private volatile boolean retrying;
    private volatile long written;
    private volatile long batches;
    private volatile long lost;

    /**
     * Starts a writer thread over {@code sink}.
     *
     * @param sink where lines go; owned (closed) by this writer
     * @param prevHash the chain's previous hash (64 zeros for a new log)
     * @param capacity queue capacity, at least 1
     * @param maxWait longest wait for queue space, at least zero
     */
    AsyncAuditWriter(Sink sink, String prevHash, int capacity, Duration maxWait) {
        this(sink, prevHash, capacity, maxWait, AuditLimits.DEFAULT, System::nanoTime);
    }

    /**
     * Starts a writer thread over {@code sink} with the given bounds and clock.
     *
     * @param sink where lines go; owned (closed) by this writer
     * @param prevHash the chain's previous hash (64 zeros for a new log)
     * @param capacity queue capacity, at least 1
     * @param maxWait longest wait for queue space, at least zero
     * @param limits the bounds of the queue's bytes, the batches and the forces
     * @param clock {@link System#nanoTime()}, or a test's, for the forces
     */
    AsyncAuditWriter(Sink sink, String prevHash, int capacity, Duration maxWait, AuditLimits limits,
            LongSupplier clock) {
        super(sink, prevHash, "veil-audit-writer", limits);
        if (capacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be >= 1, was " + capacity);
        }
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.capacity = capacity;
        this.maxWait = maxWait;
        this.maxWaitNanos = maxWait.toNanos();
        this.wakeDepth = Math.max(1, Math.min(MAX_BATCH, capacity / 2));
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lastForce = clock.getAsLong();
        start();
    }

    @Override
    public void append(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        checkOpen();
        long bytes = record.estimatedBytes();
        long waitStart = 0; // when this append began to wait (for room or for a slot), 0 if it did not
        if (!tryReserve(bytes)) {
            producerWaits.increment();
            wakeWriter(); // it may be napping
            waitStart = System.nanoTime();
            if (!awaitRoom(bytes, maxWaitNanos)) {
                rejected.increment();
                throw AuditUnavailableException.queueFullOfBytes(sink.name(), limits.queueBytes(), maxWait);
            }
        }
        boolean queued = false;
        try {
            if (!queue.offer(record)) {
                if (waitStart == 0) {
                    producerWaits.increment();
                    waitStart = System.nanoTime();
                }
                wakeWriter(); // it may be napping
                long left = maxWaitNanos - (System.nanoTime() - waitStart);
                boolean accepted;
                try {
                    accepted = left > 0 && queue.offer(record, left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    rejected.increment();
                    throw new AuditUnavailableException("audit log " + sink.name()
                            + ": interrupted while waiting for queue space; the record was not accepted");
                }
                if (!accepted) {
                    rejected.increment();
                    throw AuditUnavailableException.queueFull(sink.name(), capacity, maxWait);
                }
            }
            queued = true;
        } finally {
            if (!queued) {
                release(bytes);
            }
        }
        int depth = queue.size();
        for (int m = maxDepth.get(); depth > m && !maxDepth.compareAndSet(m, depth); m = maxDepth.get()) {
            // retry
        }
        // Dekker with the writer (queue insertion, then read `sleeping`; the writer sets `sleeping`,
        // then looks at the queue): a sleeping writer always sees this record or is woken. A
        // napping one is woken early only when a batch's worth has gathered.
        if (sleeping || depth == wakeDepth) {
            wakeWriter();
        }
        // A close or failure that raced with the insertion: take the record back if the writer did
        // not; if it did, the writer writes it (or counts it lost on failure).
        if ((closed || failure != null) && queue.remove(record)) {
            release(bytes);
            rejected.increment();
            throw notOpen();
        }
    }

    /**
     * Takes room for {@code bytes} in the queue's byte bound, without waiting: when the records
     * accepted and not yet written leave room for them, or there are none (a record bigger than the
     * bound is accepted alone).
     */
    private boolean tryReserve(long bytes) {
        while (true) {
            long now = pendingBytes.get();
            if (now > 0 && now + bytes > limits.queueBytes()) {
                return false;
            }
            if (pendingBytes.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Waits up to {@code nanos} for room for {@code bytes}; false when there was none. */
    private boolean awaitRoom(long bytes, long nanos) {
        long left = nanos;
        boolean interrupted = false;
        roomLock.lock();
        roomWaiters.incrementAndGet(); // then look again: the writer frees room, then reads the waiters
        try {
            while (!tryReserve(bytes)) {
                if (closed || failure != null) {
                    rejected.increment();
                    throw notOpen();
                }
                if (left <= 0) {
                    return false;
                }
                try {
                    left = roomFreed.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
            if (!interrupted) {
                return true;
            }
        } finally {
            roomWaiters.decrementAndGet();
            roomLock.unlock();
        }
        Thread.currentThread().interrupt();
        rejected.increment();
        throw new AuditUnavailableException("audit log " + sink.name()
                + ": interrupted while waiting for queue space; the record was not accepted");
    }

    /** Gives back the room of records written, given up or not accepted, and wakes who waits for it. */
    private void release(long bytes) {
        pendingBytes.addAndGet(-bytes);
        if (roomWaiters.get() > 0) {
            wakeRoomWaiters();
        }
    }

    private void wakeRoomWaiters() {
        roomLock.lock();
        try {
            roomFreed.signalAll();
        } finally {
            roomLock.unlock();
        }
    }

    @Override
    public AuditUnavailableException refusal() {
        return closed || failure != null ? notOpen() : null;
    }

    @Override
    public AuditStats stats() {
        return new AuditStats(written, batches, maxDepth.get(), producerWaits.sum(), rejected.sum(), lost);
    }

    @Override
    public void close() {
        synchronized (closeLock) {
            if (!closed) {
                closed = true;
                queue.offer(WAKE_UP); // when full, the writer is not waiting and will see closed
            }
        }
        wakeWriter();
        wakeRoomWaiters(); // they see closed
        joinAndCloseSink(() -> failure == null);
        Throwable f = failure;
        if (f != null) {
            throw new AuditUnavailableException("audit log " + sink.name() + " failed; " + lost
                    + " accepted record(s) could not be written: " + f, f);
        }
    }

    @Override
    void runWriter() {
        List<Object> batch = new ArrayList<>(Math.min(MAX_BATCH, capacity + 1));
        int emptyNaps = 0;
        int done = 0; // the records of the batch before this index are written
        try {
            while (true) {
                // Read closed before polling: a producer whose record lands after our last poll
                // then sees closed and takes it back (see append).
                boolean closing = closed;
                Object first = queue.poll();
                if (first == null) {
                    if (closing) {
                        return;
                    }
                    if (unforced && clock.getAsLong() - lastForce >= limits.forceNanos()) {
                        beginBatch(); // nothing to write: only the force, held and tried again as a batch
                        writeHeld(0, List.of(), 0, true);
                    }
                    if (emptyNaps < NAPS_BEFORE_SLEEP || unforced) { // never asleep with records not forced
                        emptyNaps = Math.min(emptyNaps + 1, NAPS_BEFORE_SLEEP);
                        LockSupport.parkNanos(this, NAP_NANOS);
                    } else {
                        sleeping = true;
                        if (queue.isEmpty() && !closed) {
                            LockSupport.parkNanos(this, SLEEP_NANOS);
                        }
                        sleeping = false;
                    }
                    Thread.interrupted(); // the writer thread is ours; an interrupt must not stop the log
                    continue;
                }
                emptyNaps = 0;
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                done = 0;
                while (done < batch.size()) {
                    // One write of at most limits.batchBytes(), or of one record bigger than that: the
                    // buffer is written out before a record whose estimate (never less than its bytes)
                    // would take the batch's estimates past the bound, as the durable writer does.
                    beginBatch();
                    int end = done;
                    int n = 0;
                    long bytes = 0;
                    while (end < batch.size()) {
                        if (batch.get(end) instanceof AuditRecord r) {
                            if (n > 0 && bytes + r.estimatedBytes() > limits.batchBytes()) {
                                break;
                            }
                            serializeOrMinimal(r);
                            n++;
                            bytes += r.estimatedBytes();
                        }
                        end++;
                    }
                    if (n > 0) {
                        writeHeld(n, batch, end, clock.getAsLong() - lastForce >= limits.forceNanos());
                        written += n;
                        batches++;
                    }
                    done = end;
                    release(bytes);
                }
                batch.clear();
                done = 0;
            }
        } catch (Throwable t) {
            long n = countRecords(batch, done);
            boolean wasRetrying = retrying;
            retrying = false; // for good now: refusals must not promise that it passes
            failure = t;
            wakeRoomWaiters(); // they see the failure
            List<Object> rest = new ArrayList<>();
            queue.drainTo(rest);
            n += countRecords(rest, 0);
            lost = n;
            if (closed && wasRetrying) {
                LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": closed while it could not be written; "
                        + n + " accepted record(s) held or queued could not be written although their answers were "
                        + "released: " + t), t);
            } else {
                logFailure(t, n + " accepted record(s) could not be written although their answers were released");
            }
        }
    }

    /** The records in {@code list} from index {@code from} on (the list also holds the close marker). */
    private static long countRecords(List<Object> list, int from) {
        long n = 0;
        for (int i = from; i < list.size(); i++) {
            if (list.get(i) instanceof AuditRecord) {
                n++;
            }
        }
        return n;
    }

    /**
     * Serialises {@code r} into the batch; when it cannot be (the heap ran out, say), its minimal
     * record instead, logged: its answer was released, so it must have a record, and the failure is
     * this record's, not the log's.
     *
     * @throws IllegalStateException when not even the minimal record can be serialised: the log fails for good
     */
    private void serializeOrMinimal(AuditRecord r) {
        Throwable failed = serializeOne(r);
        if (failed == null) {
            return;
        }
        Throwable again;
        try {
            again = serializeOne(r.minimal());
        } catch (RuntimeException | Error e) {
            again = e;
        }
        if (again != null) {
            again.addSuppressed(failed);
            throw new IllegalStateException("the record of decision " + r.decisionId() + " could not be serialised ("
                    + failed + "), nor its minimal record (" + again + ")", again);
        }
        LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": the record of decision " + r.decisionId()
                + " could not be serialised (" + failed + "); its answer was released, so a minimal record stands in"
                + " its place (rule " + AuditRecord.MINIMAL_RULE + ": no input, signals, raw summary or released "
                + "prediction), and the log goes on"), failed);
    }

    /**
     * Writes the serialised batch of {@code n} records and, when {@code force}, forces the file to the
     * device. After a failure that may pass (a full disk, an I/O error, a failed force; the batch taken
     * back from the file) it holds the batch, refuses every append meanwhile, and tries again after
     * {@value #RETRY_FIRST_MILLIS} ms, then at doubling intervals up to {@value #RETRY_MAX_MILLIS} ms,
     * until the write succeeds (the records behind it follow) or the log is closed (it tries once
     * more then, and gives up).
     *
     * @param taken the entries taken from the queue with this batch
     * @param end where this batch ends in them: the records after it follow it (counted only for a
     *     failure's message)
     */
    private void writeHeld(int n, List<Object> taken, int end, boolean force) throws IOException {
        long delay = TimeUnit.MILLISECONDS.toNanos(RETRY_FIRST_MILLIS);
        long since = 0;
        while (true) {
            boolean closing = closed;
            try {
                writeSerialized(force);
                if (force) {
                    lastForce = clock.getAsLong();
                    unforced = false;
                } else {
                    unforced = true;
                }
                if (failure != null) {
                    failure = null;
                    retrying = false;
                    if (outageEnds()) {
                        LOG.log(System.Logger.Level.WARNING, ControlChars.escaped("audit log " + sink.name() + ": writing again after "
                            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since) + " ms; the " + n
                            + " held record(s) are written, those behind them follow, and requests are "
                            + "accepted again"));
                    }
                }
                return;
            } catch (IOException e) {
                if (!retryable() || closing) {
                    throw e;
                }
                if (failure == null) {
                    since = System.nanoTime();
                    retrying = true;
                    failure = e;
                    wakeRoomWaiters(); // they see the failure
                    String note = outageStarts();
                    if (note != null) {
                        LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": cannot write (" + e + "); the "
                                + n + " record(s) of the batch and the " + (countRecords(taken, end) + queue.size()) + " behind it are held "
                                + "and written once it works again (tried again at least every " + RETRY_MAX_MILLIS
                                + " ms); meanwhile every request is refused (audit_unavailable)" + note), e);
                    }
                }
                String lasting = outageLasts(since);
                if (lasting != null) {
                    LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": cannot write for a minute (" + e
                            + "); the " + n + " record(s) of the batch and the " + (countRecords(taken, end) + queue.size()) + " behind it are "
                            + "held and written once it works again; meanwhile every request is refused "
                            + "(audit_unavailable)" + lasting), e);
                }
                LockSupport.parkNanos(this, delay);
                Thread.interrupted(); // the writer thread is ours; an interrupt must not stop the log
                delay = Math.min(2 * delay, TimeUnit.MILLISECONDS.toNanos(RETRY_MAX_MILLIS));
            }
        }
    }

    private void wakeWriter() {
        LockSupport.unpark(writerThread());
    }

    private void checkOpen() {
        if (closed || failure != null) {
            rejected.increment();
            throw notOpen();
        }
    }

    private AuditUnavailableException notOpen() {
        Throwable f = failure;
        if (f != null && retrying) {
            return new AuditUnavailableException("audit log " + sink.name() + " cannot be written (" + f + ") and "
                    + "accepts no records until it can; the records it holds are written then");
        }
        return f != null
                ? new AuditUnavailableException("audit log " + sink.name() + " failed and accepts no records: " + f)
                : new AuditUnavailableException("audit log " + sink.name() + " is closed");
    }
}

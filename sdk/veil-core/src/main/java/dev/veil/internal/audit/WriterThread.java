package dev.veil.internal.audit;

import dev.veil.internal.text.ControlChars;
import java.io.IOException;

/**
 * What both file writers share: the sink, the chain's serialiser, the one writer thread, and a
 * shutdown hook that closes the writer (drains it) when the JVM exits without {@code close()}.
 *
 * <p>The batch ({@link #beginBatch}, {@link #serializeOne}, {@link #writeSerialized}, {@link #rewind})
 * and {@link #buffer} belong to the writer thread alone.
 */
abstract class WriterThread implements AuditWriter {
    static final System.Logger LOG = System.getLogger("dev.veil.audit");

    final Sink sink;
    private final AuditSerializer serializer;
    private final ByteSink buffer;
    /** The bounds of the batches, the queue, the buffer and the forces. */
    final AuditLimits limits;
    /** When the writer last logged the start of an outage; a minute ago at first. */
    private volatile long lastOutageLogged = System.nanoTime() - OUTAGE_LOG_NANOS;
    /** Whether the current outage's start was logged (writer thread only). */
    private boolean outageLogged;
    /** Outages since the last one logged that were not (writer thread only). */
    private long outagesNotLogged;
    /** At most one outage start a minute is logged: a disk that hovers near full must not flood the log. */
    static final long OUTAGE_LOG_NANOS = 60_000_000_000L;
    /** {@link #OUTAGE_LOG_NANOS}, shorter in tests. */
    private volatile long outageLogNanos = OUTAGE_LOG_NANOS;

    /** For tests: log at most one outage start per {@code nanos} instead of a minute. */
    final void outageLogInterval(long nanos) {
        outageLogNanos = nanos;
        lastOutageLogged = System.nanoTime() - nanos;
    }

    /**
     * An outage that may pass begins: whether to log it (the first in a minute), and if so, a note of
     * the outages since the last logged one that were not logged (empty when none). Writer thread only.
     */
    final String outageStarts() {
        long now = System.nanoTime();
        outageLogged = now - lastOutageLogged >= outageLogNanos;
        if (!outageLogged) {
            outagesNotLogged++;
            return null;
        }
        lastOutageLogged = now;
        return notLogged();
    }

    /** A note of the outages not logged since the last one that was (empty when none); counts anew. */
    private String notLogged() {
        String note = outagesNotLogged == 0 ? "" : " (" + outagesNotLogged + " outage(s) since the last one logged "
                + "were not logged: the start of one is logged at most once a minute, and one that lasts a minute "
                + "then)";
        outagesNotLogged = 0;
        return note;
    }

    /**
     * The outage that began at {@code sinceNanos} goes on: whether to log it now (its start was not
     * logged, and it has lasted a minute), and if so, the note of {@link #outageStarts}. Writer
     * thread only.
     */
    final String outageLasts(long sinceNanos) {
        long now = System.nanoTime();
        if (outageLogged || now - sinceNanos < outageLogNanos) {
            return null;
        }
        outageLogged = true;
        lastOutageLogged = now;
        outagesNotLogged--; // this one is logged after all
        return notLogged();
    }

    /** The outage ends: whether its start was logged (then so is its end). Writer thread only. */
    final boolean outageEnds() {
        boolean logged = outageLogged;
        outageLogged = false;
        return logged;
    }

    /** The chain's last hash before the batch in {@link #buffer}. */
    private String batchStart;
    private boolean retryable;
    private final Thread thread;
    private final Thread hook;
    private boolean sinkClosed; // guarded by this

    WriterThread(Sink sink, String prevHash, String threadName, AuditLimits limits) {
        this.sink = sink;
        this.limits = java.util.Objects.requireNonNull(limits, "limits");
        this.buffer = new ByteSink(Math.min(64 * 1024, limits.bufferLimit()), limits.bufferLimit());
        this.serializer = new AuditSerializer(prevHash);
        this.thread = new Thread(this::runWriter, threadName);
        this.thread.setDaemon(true);
        this.hook = new Thread(this::closeFromHook, threadName + "-shutdown");
    }

    /** Starts the writer thread; call once, at the end of the subclass constructor. */
    final void start() {
        thread.start();
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; close() will still drain
        }
    }

    /** The writer thread. */
    final Thread writerThread() {
        return thread;
    }

    /** The writer thread's loop. */
    abstract void runWriter();

    /**
     * Starts a new batch in the batch buffer: empties it and notes where the chain stands, for
     * {@link #rewind}. Then {@link #serializeOne} each record, {@link #writeSerialized} them.
     */
    final void beginBatch() {
        buffer.reset();
        retryable = false;
        batchStart = serializer.lastHash();
    }

    /**
     * Serialises one record at the end of the batch buffer, advancing the chain. A record that cannot
     * be serialised (the generator failed, the buffer cannot hold it, the heap ran out) leaves the
     * buffer and the chain as they were: it is that record's failure, not the batch's.
     *
     * @return null when the record is in the buffer, else why it could not be serialised
     */
    final Throwable serializeOne(AuditRecord r) {
        int mark = buffer.size();
        try {
            serializer.append(r, buffer);
            return null;
        } catch (Exception | Error e) { // an OutOfMemoryError too: the record's, whose memory is freed with it
            buffer.truncate(mark);
            return e;
        }
    }

    /**
     * The batch buffer's capacity: after a batch grew it past {@link ByteSink#SHRINK_FACTOR} times its
     * initial 64 KiB, it shrinks back after {@link ByteSink#SHRINK_AFTER_USES} batches in a row that fit
     * that again ({@link ByteSink#reset}).
     * For tests; read it when the writer thread has ended, or after a durable append returned.
     */
    final int bufferCapacity() {
        return buffer.capacity();
    }

    /**
     * Writes the serialised batch with one call and, when {@code force}, forces it to the device; may
     * be called again with the same batch after a failure that {@link #retryable} allows.
     *
     * @throws IOException when the sink failed; the batch is then taken back from it
     */
    final void writeSerialized(boolean force) throws IOException {
        retryable = false;
        // An interrupt must not close the FileChannel under us (ClosedByInterruptException).
        boolean interrupted = Thread.interrupted();
        try {
            try {
                sink.write(buffer.array(), 0, buffer.size());
                if (force) {
                    sink.force();
                } else {
                    sink.flush();
                }
            } catch (IOException e) {
                // the batch's records are held (async) or their requests are refused (durable): none of
                // it may stay, and the file must end with a whole record
                boolean cut = sink.abandonLastWrite();
                retryable = cut && !(e instanceof Sink.Unrecoverable);
                throw e;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether the last failed {@link #writeSerialized} left the sink ending with a whole record where
     * the batch began, and failed for a cause that may pass (a full disk, an I/O error): the batch can
     * be written again. False after a deleted file, or when the batch could not be taken back.
     */
    final boolean retryable() {
        return retryable;
    }

    /** Takes the serialised batch out of the chain: the next record follows the one before the batch. */
    final void rewind() {
        serializer.rewind(batchStart);
    }

    /**
     * Waits for the writer thread to end, then (the first time only) forces and closes the sink.
     *
     * @param force asked once the thread has ended: whether to force the sink before closing it (not
     *     after a failure)
     */
    final void joinAndCloseSink(java.util.function.BooleanSupplier force) {
        boolean interrupted = false;
        while (thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        synchronized (this) {
            if (sinkClosed) {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return;
            }
            sinkClosed = true;
        }
        try {
            try {
                if (force.getAsBoolean()) {
                    sink.force();
                }
            } finally {
                sink.close();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": closing failed: " + e), e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down (possibly from this hook)
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Logs the writer's failure.
     *
     * @param what what the failure cost, e.g. "3 accepted record(s) could not be written"
     */
    final void logFailure(Throwable t, String what) {
        LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": writer failed for good; " + what
                + ", and every further request is refused (audit_unavailable) until a new Guard opens the log"
                + " (close this one and build another): " + t), t);
    }

    private void closeFromHook() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, ControlChars.escaped("audit log " + sink.name() + ": close at exit failed: " + e), e);
        }
    }
}

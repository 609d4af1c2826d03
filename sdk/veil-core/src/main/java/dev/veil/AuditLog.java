package dev.veil;

import dev.veil.internal.audit.AuditVerifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how the Guard writes its audit log: JSON lines, exactly one record per request, each
 * record chained to the one before it by a SHA-256 hash so that {@link #verify(Path)} finds an
 * edited, removed, inserted, reordered or truncated record; records removed from the end of the
 * file (also what an {@link Mode#ASYNC} log loses in a crash) only {@link #verify(Path, String)} with
 * a last hash kept elsewhere finds.
 *
 * <p>Two write modes:
 * <ul>
 *   <li>{@link Mode#ASYNC} (the default): the request thread only hands the record to a bounded
 *       queue (at most {@link #queueCapacity()} records, and at most 64 MiB of records by an
 *       estimate of their size in the log); one writer thread serialises, hashes, masks and writes,
 *       and forces the file to the device about once a second. When the queue is full the
 *       request waits up to {@link #maxWait()}, and past that the request is refused with
 *       {@link ReasonCode#AUDIT_UNAVAILABLE}: a record is never dropped to keep the request going.
 *       A record is acknowledged once queued, so a crash of the whole process loses the records
 *       still queued and those the writer had taken from the queue and not yet written (at most
 *       the capacity plus 1,024 records), although their answers were released; a power loss
 *       also those written in the last second or so, not yet forced to the device (the writer
 *       forces at most one second, plus the time to write one batch, after a write). After a
 *       write error that may pass (a full disk) the writer holds what it could not write, every
 *       request is refused until a write succeeds again, and then everything held is written in
 *       order; after a failure for good (the file deleted) every request is refused until a new
 *       Guard opens the log. Use
 *       {@link Mode#DURABLE} when every released answer must have its record on disk.</li>
 *   <li>{@link Mode#DURABLE}: group commit. Concurrent requests are batched by one writer thread,
 *       which writes the batch and forces it to the storage device before any of them returns. A
 *       batch that cannot be written refuses its requests; the log works again by itself once the
 *       disk does.</li>
 * </ul>
 *
 * <p>When the file already exists the writer continues its chain from the last record, after
 * checking that this record is complete and unaltered; it refuses to append to a file whose last
 * line was cut short or edited. Only one writer may have a file open at a time, in this process or
 * another: it holds an exclusive lock on the lock file {@code <file>.lock} beside the log (created
 * readable and writable by its owner only, and left there; one left by a crashed process blocks
 * nobody). The file must be a regular file (a symbolic link to one is followed); {@code /dev/null}
 * and other devices, pipes and sockets are refused.
 *
 * <p>Instances are immutable values and thread-safe; {@link #async(int, Duration)} and
 * {@link #durable()} return modified copies:
 * <pre>{@code
 * AuditLog log = AuditLog.jsonLines(Path.of("audit.jsonl")).async(8192, Duration.ofMillis(50));
 * AuditLog safe = AuditLog.jsonLines(Path.of("audit.jsonl")).durable();
 * }</pre>
 */
public final class AuditLog {

    /** How records reach the file. */
    public enum Mode {
        /** A bounded queue drained by one writer thread; back-pressure, never a silent drop. */
        ASYNC,
        /** Group commit with {@code fsync} before the request returns. */
        DURABLE
    }

    /** Queue capacity of {@link #jsonLines(Path)} until {@link #async(int, Duration)} sets another. */
    public static final int DEFAULT_QUEUE_CAPACITY = 8192;

    /** Longest wait for queue space of {@link #jsonLines(Path)} until {@link #async(int, Duration)} sets another. */
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(100);

    /** The longest {@link #maxWait()} accepted: a request should never wait longer for its audit record. */
    public static final Duration MAX_MAX_WAIT = Duration.ofMinutes(1);

    private final Path file;
    private final Mode mode;
    private final int queueCapacity;
    private final Duration maxWait;

    private AuditLog(Path file, Mode mode, int queueCapacity, Duration maxWait) {
        this.file = file;
        this.mode = mode;
        this.queueCapacity = queueCapacity;
        this.maxWait = maxWait;
    }

    /**
     * A JSON-lines audit log in {@code file}, written asynchronously with
     * {@link #DEFAULT_QUEUE_CAPACITY} and {@link #DEFAULT_MAX_WAIT}. The file is created when the
     * Guard opens it; its directory must exist.
     *
     * @param file the log file
     * @return the configuration
     */
    public static AuditLog jsonLines(Path file) {
        Objects.requireNonNull(file, "file");
        return new AuditLog(file, Mode.ASYNC, DEFAULT_QUEUE_CAPACITY, DEFAULT_MAX_WAIT);
    }

    /**
     * The same log, written asynchronously through a queue of {@code queueCapacity} records; a
     * request that finds the queue full waits at most {@code maxWait} and is then refused with
     * {@link ReasonCode#AUDIT_UNAVAILABLE}.
     *
     * @param queueCapacity records the queue holds, at least 1
     * @param maxWait how long a request may wait for queue space, from zero (never wait) to
     *     {@link #MAX_MAX_WAIT}
     * @return a copy in {@link Mode#ASYNC}
     * @throws IllegalArgumentException when an argument is out of range
     */
    public AuditLog async(int queueCapacity, Duration maxWait) {
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("queueCapacity must be >= 1, was " + queueCapacity);
        }
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
        }
        if (maxWait.compareTo(MAX_MAX_WAIT) > 0) {
            throw new IllegalArgumentException("maxWait must be <= " + MAX_MAX_WAIT + ", was " + maxWait);
        }
        return new AuditLog(file, Mode.ASYNC, queueCapacity, maxWait);
    }

    /**
     * The same log, written with group commit: a request returns only once its record has been
     * written and forced to the storage device. As {@link #durable(Duration)} with
     * {@link #MAX_MAX_WAIT}.
     *
     * @return a copy in {@link Mode#DURABLE}
     */
    public AuditLog durable() {
        return durable(MAX_MAX_WAIT);
    }

    /**
     * The same log, written with group commit, where a request waits at most {@code maxWait} for
     * its record's batch to begin: a record still waiting behind a slow or stalled write (a full
     * or frozen disk) is then taken back and its request refused with
     * {@link ReasonCode#AUDIT_UNAVAILABLE}, instead of every request hanging on the disk. A record
     * whose batch has begun cannot be taken back: its request waits for that batch's write and
     * {@code fsync}. A batch that takes longer than a second is logged.
     *
     * @param maxWait from 1 ms to {@link #MAX_MAX_WAIT}
     * @return a copy in {@link Mode#DURABLE}
     * @throws IllegalArgumentException when {@code maxWait} is out of range
     */
    public AuditLog durable(Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait");
        if (maxWait.compareTo(Duration.ofMillis(1)) < 0 || maxWait.compareTo(MAX_MAX_WAIT) > 0) {
            throw new IllegalArgumentException("maxWait must be in [1 ms, " + MAX_MAX_WAIT + "], was " + maxWait);
        }
        return new AuditLog(file, Mode.DURABLE, 0, maxWait);
    }

    /** @return the log file */
    public Path file() {
        return file;
    }

    /** @return the write mode */
    public Mode mode() {
        return mode;
    }

    /** @return the queue capacity in {@link Mode#ASYNC}; 0 in {@link Mode#DURABLE} */
    public int queueCapacity() {
        return queueCapacity;
    }

    /**
     * @return the longest wait for queue space in {@link Mode#ASYNC}; for the record's batch to begin
     *     in {@link Mode#DURABLE}
     */
    public Duration maxWait() {
        return maxWait;
    }

    /**
     * Checks the hash chain of an audit log and reports the first broken record, by line number.
     * Reads the file once, front to back; never changes it. Safe to run while a writer appends
     * (a last line still being written is then reported as truncated).
     *
     * @param file the log file
     * @return the outcome; {@link AuditVerification#ok()} is false when the chain is broken
     * @throws VeilException when the file cannot be read at all (missing, a directory, no permission),
     *     or is gzip-compressed (a rotated log: decompress it first, or use {@code veil audit verify})
     */
    public static AuditVerification verify(Path file) {
        Objects.requireNonNull(file, "file");
        return AuditVerifier.verify(file, null);
    }

    /**
     * As {@link #verify(Path)}, and also checks that some record still has {@code keptHash} as its
     * own hash: the {@link AuditVerification#lastHash()} of an earlier check, kept elsewhere. The
     * chain alone cannot show that records were cut off the end of the log, or that the whole log
     * was rewritten; a kept hash that no record has does. 64 zeros (an empty log's) always passes.
     *
     * @param file the log file
     * @param keptHash 64 lowercase hexadecimal digits
     * @return the outcome; not ok (its broken line one past the last) when no record has the hash
     * @throws IllegalArgumentException when {@code keptHash} is not 64 lowercase hexadecimal digits
     * @throws VeilException when the file cannot be read at all
     */
    public static AuditVerification verify(Path file, String keptHash) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(keptHash, "keptHash");
        if (!keptHash.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("keptHash must be 64 lowercase hexadecimal digits, was '"
                    + keptHash + "'");
        }
        return AuditVerifier.verify(file, keptHash);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditLog a && file.equals(a.file) && mode == a.mode
                && queueCapacity == a.queueCapacity && maxWait.equals(a.maxWait);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, mode, queueCapacity, maxWait);
    }

    @Override
    public String toString() {
        return mode == Mode.ASYNC
                ? "AuditLog[" + file + ", async, queueCapacity=" + queueCapacity + ", maxWait=" + maxWait + "]"
                : "AuditLog[" + file + ", durable, maxWait=" + maxWait + "]";
    }
}

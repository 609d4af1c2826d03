package dev.veil.internal.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An audit writer that keeps its hash-chained lines in memory, for tests and examples. Serialises on
 * the calling thread under a lock. Bounded: once it holds {@code capacity} records every further
 * append is refused with {@link AuditUnavailableException} (never a silent drop or eviction).
 *
 * <p>Thread-safe.
 */
public final class MemoryAuditWriter implements AuditWriter {
    private final int capacity;
    private final AuditSerializer serializer = new AuditSerializer(AuditSerializer.ZERO_HASH);
    private final ByteSink line = new ByteSink(4096);
    private final List<String> lines = new ArrayList<>();
    private long rejected;
    private boolean closed;

    /**
     * @param capacity the most records it keeps, at least 1
     */
    MemoryAuditWriter(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public synchronized AuditUnavailableException refusal() {
        return closed ? new AuditUnavailableException("in-memory audit log is closed") : null;
    }

    @Override
    public synchronized void append(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        if (closed) {
            rejected++;
            throw new AuditUnavailableException("in-memory audit log is closed");
        }
        if (lines.size() >= capacity) {
            rejected++;
            throw new AuditUnavailableException("in-memory audit log is full (" + capacity + " records)");
        }
        line.reset();
        try {
            serializer.append(record, line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lines.add(new String(line.array(), 0, line.size() - 1, StandardCharsets.UTF_8));
    }

    /** @return the lines written so far, without their newlines, oldest first */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** @return the whole log as UTF-8 bytes, one line per record, each ending in a newline */
    public synchronized byte[] bytes() {
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            b.append(l).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized AuditStats stats() {
        return new AuditStats(lines.size(), lines.size(), 0, 0, rejected, 0);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}

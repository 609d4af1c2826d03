package dev.veil.internal.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that is an {@link OutputStream}, so a JSON generator can write into it and
 * the bytes can be read back without a copy. It doubles as it grows, and at the end grows to exactly
 * its limit ({@link #MAX_LIMIT}, the most a Java array holds, unless a smaller one is given); a write
 * past the limit throws {@link IllegalStateException} and leaves the buffer as it was. A buffer
 * that one very large record (or batch) grew past {@value #SHRINK_FACTOR} times its initial
 * capacity shrinks back to that capacity after {@value #SHRINK_AFTER_USES} uses in a row that fit
 * it again, rather than keeping its peak size for the life of its writer; a buffer used for large
 * contents now and then keeps its size (no reallocation per use when large and small records
 * alternate). Not thread-safe: one per writer thread.
 */
final class ByteSink extends OutputStream {
    /** The most bytes a buffer can hold: the longest byte array every common JVM allocates (2 GiB less a little). */
    static final int MAX_LIMIT = Integer.MAX_VALUE - 16;

    /**
     * How many times its initial capacity a buffer may keep after a use that fit the initial
     * capacity: beyond, {@link #reset} shrinks it back.
     */
    static final int SHRINK_FACTOR = 4;

    /** How many uses in a row must fit the initial capacity before a grown buffer shrinks back. */
    static final int SHRINK_AFTER_USES = 16;

    private final int limit;
    /** The initial capacity: the size the buffer shrinks back to. */
    private final int normal;
    private byte[] buf;
    private int len;
    /** Uses in a row, up to the last {@link #reset}, whose contents fit the initial capacity. */
    private int smallUses;

    ByteSink(int initialCapacity) {
        this(initialCapacity, MAX_LIMIT);
    }

    /**
     * @param initialCapacity the first array's length
     * @param limit the most bytes the buffer may hold, from {@code initialCapacity} to {@link #MAX_LIMIT}
     */
    ByteSink(int initialCapacity, int limit) {
        if (initialCapacity < 0 || limit < initialCapacity || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("need 0 <= initialCapacity <= limit <= " + MAX_LIMIT + ", was "
                    + initialCapacity + " and " + limit);
        }
        this.limit = limit;
        this.normal = initialCapacity;
        buf = new byte[initialCapacity];
    }

    @Override
    public void write(int b) {
        ensure(1);
        buf[len++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** Appends an ASCII string. */
    void writeAscii(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    /** Appends {@code other}'s bytes {@code [from, to)}. */
    void writeFrom(ByteSink other, int from, int to) {
        write(other.buf, from, to - from);
    }

    /**
     * Empties the buffer. When its array is more than {@value #SHRINK_FACTOR} times its initial
     * capacity and the last {@value #SHRINK_AFTER_USES} uses (this one included) each fit that
     * capacity (the large contents that grew it are gone, and do not come back every few uses), the
     * array is replaced by one of the initial capacity.
     */
    void reset() {
        smallUses = len <= normal ? smallUses + 1 : 0;
        if (smallUses >= SHRINK_AFTER_USES && buf.length > (long) SHRINK_FACTOR * normal) {
            buf = new byte[normal];
            smallUses = 0;
        }
        len = 0;
    }

    /** The length of the buffer's array (for tests: that a large use does not keep it large). */
    int capacity() {
        return buf.length;
    }

    /** Drops what was written after the first {@code size} bytes (a mark taken with {@link #size()}). */
    void truncate(int size) {
        if (size < 0 || size > len) {
            throw new IllegalArgumentException("size must be in [0, " + len + "], was " + size);
        }
        len = size;
    }

    int size() {
        return len;
    }

    byte[] array() {
        return buf;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    @Override
    public void flush() throws IOException {
        // nothing buffered
    }

    private void ensure(int extra) {
        long need = (long) len + extra;
        if (need > buf.length) {
            if (need > limit) {
                throw new IllegalStateException("an audit buffer cannot hold " + need + " bytes: it holds at most "
                        + limit + (limit == MAX_LIMIT ? " (the longest Java array)" : "") + "; " + len
                        + " bytes were in it");
            }
            long want = Math.min(Math.max((long) buf.length * 2, need), limit);
            buf = Arrays.copyOf(buf, (int) want);
        }
    }
}

package dev.veil.internal.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte buffer that is an {@link OutputStream}, so a JSON generator can write into it and
 * the bytes can be read back without a copy. Not thread-safe: one per writer thread.
 */
final class ByteSink extends OutputStream {
    private byte[] buf;
    private int len;

    ByteSink(int initialCapacity) {
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

    void reset() {
        len = 0;
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
        if (len + extra > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) len + extra);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("audit buffer would exceed 2 GiB");
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }
}

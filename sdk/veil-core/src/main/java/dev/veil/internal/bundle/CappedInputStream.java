package dev.veil.internal.bundle;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts the bytes read through it and fails as soon as more than a cap have been read, so that a
 * decompression bomb is stopped after at most {@code cap} bytes of work. Not thread-safe.
 */
final class CappedInputStream extends FilterInputStream {
    /** Thrown when the cap is passed. */
    static final class CapExceededException extends IOException {
        private static final long serialVersionUID = 1L;

        CapExceededException(long cap) {
            super("more than " + cap + " bytes");
        }
    }

    private final long cap;
    private long count;

    CappedInputStream(InputStream in, long cap) {
        super(in);
        this.cap = cap;
    }

    long count() {
        return count;
    }

    private void add(long n) throws CapExceededException {
        if (n > 0) {
            count += n;
            if (count > cap) {
                throw new CapExceededException(cap);
            }
        }
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            add(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, (int) Math.min(len, cap - count + 1));
        add(n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, cap - count + 1));
        add(skipped);
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}

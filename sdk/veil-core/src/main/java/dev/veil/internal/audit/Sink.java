package dev.veil.internal.audit;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Where a writer thread puts its bytes. Used by one thread at a time (the writer thread, then the
 * closer after it has stopped).
 */
interface Sink extends Closeable {
    /** Writes all of {@code b[off, off+len)}. */
    void write(byte[] b, int off, int len) throws IOException;

    /** Hands written bytes to the operating system (no device sync). */
    void flush() throws IOException;

    /** Forces written bytes to the storage device. */
    void force() throws IOException;

    /**
     * Takes back the last {@link #write} when it failed part-way or cannot be made durable (its
     * {@link #force} failed), so that no record stays whose request was refused and the log still
     * ends with a whole record.
     *
     * @return whether the sink now ends exactly where that write began, so that the same bytes (or
     *     others) can be written there again; false when it could not be taken back (a sink that
     *     cannot, as this default, or a truncation that failed)
     */
    default boolean abandonLastWrite() {
        return false;
    }

    /**
     * A write failure no retry can mend: the file was deleted while open, so what was written since
     * is gone and later writes would go nowhere anybody can read.
     */
    final class Unrecoverable extends IOException {
        private static final long serialVersionUID = 1L;

        Unrecoverable(String message) {
            super(message);
        }
    }

    /** @return a name for messages (the file) */
    String name();

    /** A sink over an output stream; {@link #force()} only flushes. */
    static Sink of(OutputStream out, String name) {
        return new Sink() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void force() throws IOException {
                out.flush();
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }
}

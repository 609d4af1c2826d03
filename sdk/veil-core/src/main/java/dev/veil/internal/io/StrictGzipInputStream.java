package dev.veil.internal.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decompresses a gzip file of one or more members (as {@code cat a.gz b.gz} makes) and fails on
 * anything damaged, as {@code gzip -t} does: each member's header is checked (RFC 1952: magic
 * 1f 8b, method 8, no reserved flag bits, its header CRC when FHCRC is set) and its trailer's CRC-32
 * and length; after a member the file ends or another member starts, any other byte is an error,
 * zero bytes too (which {@code gzip -t} ignores with a warning): the error says how many bytes
 * follow the stream and where it ends.
 *
 * <p>{@link java.util.zip.GZIPInputStream} instead ends the stream quietly when what follows a
 * member is not a valid header, so a damaged second member or trailing garbage read as a shorter,
 * intact file. Errors are {@link IOException}s that say what is wrong and at which byte offset
 * (from 0) of the compressed file.
 */
public final class StrictGzipInputStream extends InputStream {
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int RESERVED = 0xe0;

    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int lim;
    /** Offset in the compressed file of {@code buf[0]}. */
    private long bufStart;

    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    /** Whether a member is being inflated; false before the first and between members. */
    private boolean inMember;
    private boolean eof;
    private int member; // 1-based number of the current (or last) member
    private long memberStart;
    private boolean closed;
    private final byte[] one = new byte[1];

    public StrictGzipInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember) {
                if (!startMember()) {
                    eof = true;
                    break;
                }
            }
            int n = inflate(b, off, len);
            if (n > 0) {
                return n;
            }
        }
        return -1;
    }

    /** Inflates into {@code b}; 0 when the member ended (its trailer checked) with nothing more to give. */
    private int inflate(byte[] b, int off, int len) throws IOException {
        while (true) {
            int before = inflater.getRemaining();
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new IOException("corrupt compressed data in gzip member " + member + " (at byte offset "
                        + memberStart + "): " + e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                return n;
            }
            if (inflater.finished()) {
                pos = lim - inflater.getRemaining();
                inMember = false;
                readTrailer();
                return 0;
            }
            if (inflater.needsDictionary()) {
                throw new IOException("corrupt compressed data in gzip member " + member + " (at byte offset "
                        + memberStart + "): it asks for a preset dictionary, which gzip never uses");
            }
            if (inflater.needsInput()) {
                if (!fill()) {
                    throw new IOException("cut short: the file ends at byte offset " + offset()
                            + " inside the compressed data of gzip member " + member + " (at byte offset "
                            + memberStart + ")");
                }
                inflater.setInput(buf, pos, lim - pos);
                pos = lim;
            } else if (inflater.getRemaining() == before) {
                // never seen from zlib; a guard against looping for ever on some input it gets stuck on
                throw new IOException("corrupt compressed data in gzip member " + member + " (at byte offset "
                        + memberStart + "): it cannot be inflated further at byte offset " + offset());
            }
        }
    }

    /**
     * Reads and checks a member's header; false at the end of the file after a member. The file's
     * first byte must start a member.
     */
    private boolean startMember() throws IOException {
        memberStart = offset();
        headerCrc.reset();
        int id1 = headerByte();
        if (id1 == -1 && member > 0) {
            return false;
        }
        int id2 = id1 == -1 ? -1 : headerByte();
        if (id1 != 0x1f || id2 != 0x8b) {
            String found = id1 == -1 ? "the end of the file" : id2 == -1 ? String.format("%02x and then the end of "
                    + "the file", id1) : String.format("%02x %02x", id1, id2);
            String problem = (member == 0 ? "not gzip data" : "trailing garbage or a damaged gzip member")
                    + " at byte offset " + memberStart + ": found " + found + " where a gzip member (1f 8b) "
                    + (member == 0 ? "must start" : "or the end of the file must follow gzip member " + member);
            throw new IOException(member == 0 ? problem : afterTheStream(problem, id1, id2));
        }
        member++;
        int cm = requireHeaderByte();
        if (cm != 8) {
            throw new IOException("gzip member " + member + " (at byte offset " + memberStart + ") has compression "
                    + "method " + cm + ", not 8 (deflate): a damaged header");
        }
        int flg = requireHeaderByte();
        if ((flg & RESERVED) != 0) {
            throw new IOException(String.format("gzip member %d (at byte offset %d) has reserved flag bits set "
                    + "(FLG %02x): a damaged header", member, memberStart, flg));
        }
        for (int i = 0; i < 6; i++) { // MTIME, XFL, OS
            requireHeaderByte();
        }
        if ((flg & FEXTRA) != 0) {
            int xlen = requireHeaderByte() | requireHeaderByte() << 8;
            for (int i = 0; i < xlen; i++) {
                requireHeaderByte();
            }
        }
        if ((flg & FNAME) != 0) {
            while (requireHeaderByte() != 0) {
                // the original file name, zero-terminated
            }
        }
        if ((flg & FCOMMENT) != 0) {
            while (requireHeaderByte() != 0) {
                // a comment, zero-terminated
            }
        }
        if ((flg & FHCRC) != 0) {
            int expected = (int) (headerCrc.getValue() & 0xffff);
            int stored = requireByte("header") | requireByte("header") << 8;
            if (stored != expected) {
                throw new IOException(String.format("gzip member %d (at byte offset %d): header CRC mismatch "
                        + "(stored %04x, computed %04x): a damaged header", member, memberStart, stored, expected));
            }
        }
        inflater.reset();
        inflater.setInput(buf, pos, lim - pos);
        pos = lim;
        crc.reset();
        inMember = true;
        return true;
    }

    /** How far {@link #afterTheStream} reads the bytes after the stream to count them. */
    static final int COUNTED_AFTER = 1 << 20;

    /**
     * The error for bytes after the last member ({@code first} and {@code second} read already,
     * {@code second} -1 at the end of the file): how many there are, up to {@value #COUNTED_AFTER}
     * (read to count them), and, when all of them are zero bytes (padding, which {@code gzip -t}
     * ignores with a warning), what to do; otherwise {@code problem} with the count.
     */
    private String afterTheStream(String problem, int first, int second) throws IOException {
        long end = memberStart;
        long n = second == -1 ? 1 : 2;
        boolean zeros = first == 0 && second <= 0;
        int b;
        while (n <= COUNTED_AFTER && (b = nextByte()) != -1) {
            zeros &= b == 0;
            n++;
        }
        boolean all = n <= COUNTED_AFTER;
        String count = (all ? n + "" : "more than " + COUNTED_AFTER) + (zeros ? " zero" : "") + " byte"
                + (n == 1 ? "" : "s") + " after the end of the gzip stream";
        if (!zeros) {
            return problem + " (" + count + ")";
        }
        return (all ? count : "at least " + COUNTED_AFTER + " zero bytes, and more bytes after them,"
                + " after the end of the gzip stream") + " (at byte offset " + end + "): gzip ignores trailing "
                + "zeros, but the file must end where its gzip stream does: truncate it to " + end + " bytes";
    }

    private void readTrailer() throws IOException {
        long at = offset();
        long storedCrc = requireInt();
        long storedSize = requireInt();
        if (storedCrc != crc.getValue()) {
            throw new IOException(String.format("gzip member %d (at byte offset %d): CRC-32 mismatch (its trailer "
                    + "at byte offset %d says %08x, the data gives %08x): the data is damaged", member, memberStart,
                    at, storedCrc, crc.getValue()));
        }
        long size = inflater.getBytesWritten() & 0xffffffffL;
        if (storedSize != size) {
            throw new IOException("gzip member " + member + " (at byte offset " + memberStart + "): length "
                    + "mismatch (its trailer at byte offset " + at + " says " + storedSize + " bytes modulo 2^32, "
                    + "the data gives " + size + "): the data is damaged");
        }
    }

    private long requireInt() throws IOException {
        long v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (long) requireByte("trailer") << (8 * i);
        }
        return v;
    }

    private int headerByte() throws IOException {
        int b = nextByte();
        if (b != -1) {
            headerCrc.update(b);
        }
        return b;
    }

    private int requireHeaderByte() throws IOException {
        int b = requireByte("header");
        headerCrc.update(b);
        return b;
    }

    private int requireByte(String part) throws IOException {
        int b = nextByte();
        if (b == -1) {
            throw new IOException("cut short: the file ends at byte offset " + offset() + " inside the " + part
                    + " of gzip member " + member + " (at byte offset " + memberStart + ")");
        }
        return b;
    }

    private int nextByte() throws IOException {
        if (pos == lim && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    /** Refills the buffer once all of it was used; false at the end of the file. */
    private boolean fill() throws IOException {
        bufStart += lim;
        pos = 0;
        lim = 0;
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            return false;
        }
        lim = n;
        return true;
    }

    /** Offset in the compressed file of the next byte not yet handed on (to the inflater or a check). */
    private long offset() {
        return bufStart + (inMember ? lim - inflater.getRemaining() : pos);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            inflater.end();
            in.close();
        }
    }
}

package dev.veil.internal.bundle;


import dev.veil.PolicyLoadException;
import dev.veil.internal.text.ControlChars;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal reader for the tar formats that {@code tar}, Go's {@code archive/tar} (and so
 * {@code opa build}) and Python's {@code tarfile} write: 512-byte headers, octal (or GNU base-256)
 * sizes, the ustar {@code prefix} field, pax extended headers ({@code path} and {@code size}
 * records; global headers are ignored) and GNU long names ({@code L}).
 *
 * <p>Only regular files and directories are accepted: links, devices, FIFOs, sparse files and
 * every other entry type are rejected, naming the entry. Header checksums are verified, an
 * archive must end with its end-of-archive marker, and every size is checked against the
 * {@link BundleLimits} from the header, before the entry's bytes are read.
 *
 * <p>Stateless; {@link #read} may be called from several threads on different streams.
 */
final class TarReader {
    private static final int BLOCK = 512;

    private TarReader() {}

    /**
     * Reads a whole uncompressed tar stream into the collector.
     *
     * @throws PolicyLoadException for a corrupt, truncated or hostile archive
     * @throws IOException when the underlying stream fails (for example a corrupt gzip layer)
     */
    static void read(InputStream in, EntryCollector collector) throws IOException {
        byte[] header = new byte[BLOCK];
        String paxPath = null;
        Long paxSize = null;
        String longName = null;
        while (true) {
            if (!readBlock(in, header)) {
                throw collectorError(collector, "tar archive is truncated: it ends without an end-of-archive marker");
            }
            if (isZero(header)) {
                // End of archive: a second zero block (or, leniently, the end of the stream).
                byte[] next = new byte[BLOCK];
                if (readBlock(in, next) && !isZero(next)) {
                    throw collectorError(collector, "tar archive is corrupt: a zero block is followed by more entries");
                }
                if (paxPath != null || paxSize != null || longName != null) {
                    throw collectorError(collector, "tar archive is corrupt: it ends after an extended header");
                }
                return;
            }
            verifyChecksum(header, collector);
            char type = (char) (header[156] & 0xff);
            String headerName = headerName(header, collector);
            long size = parseNumber(header, 124, 12, headerName, "size");
            switch (type) {
                case 'x': {
                    byte[] pax = readMeta(in, size, headerName, "pax extended header");
                    PaxRecords records = parsePax(pax, headerName);
                    if (records.path != null) {
                        paxPath = records.path;
                    }
                    if (records.size != null) {
                        paxSize = records.size;
                    }
                    continue;
                }
                case 'g':
                    readMeta(in, size, headerName, "pax global header");
                    continue;
                case 'L': {
                    byte[] name = readMeta(in, size, headerName, "GNU long name");
                    int end = indexOfNul(name, 0, name.length);
                    longName = decodeName(Arrays.copyOf(name, end), headerName);
                    continue;
                }
                case 'K':
                    // A GNU long link name: only ever precedes a link, which is rejected below.
                    readMeta(in, size, headerName, "GNU long link name");
                    continue;
                default:
                    break;
            }
            String entry = paxPath != null ? paxPath : longName != null ? longName : headerName;
            if (paxSize != null) {
                size = paxSize;
            }
            paxPath = null;
            paxSize = null;
            longName = null;
            String path = EntryCollector.normalise(entry);
            switch (type) {
                case '0':
                case '\0':
                case '7': // contiguous file: a regular file for every reader that is not a tape drive
                    collector.beginFile(path, entry, size);
                    byte[] content = in.readNBytes((int) size);
                    if (content.length != size) {
                        throw PolicyLoadException.of(entry, "tar archive is truncated inside this entry ("
                                + content.length + " of " + size + " bytes)");
                    }
                    skipPadding(in, size, entry);
                    collector.addFile(path, entry, content);
                    break;
                case '5':
                    if (size != 0) {
                        throw PolicyLoadException.of(entry, "tar directory entry declares content (" + size
                                + " bytes); the archive is corrupt");
                    }
                    collector.addDirectory(path, entry);
                    break;
                default:
                    throw PolicyLoadException.of(entry, "tar entry is " + describeType(type)
                            + "; a bundle may hold only regular files and directories");
            }
        }
    }

    private static PolicyLoadException collectorError(EntryCollector c, String message) {
        return EntryCollector.wholeBundle(message + " (" + c.source() + ")");
    }

    static String describeType(char type) {
        switch (type) {
            case '1': return "a hard link";
            case '2': return "a symbolic link";
            case '3': return "a character device";
            case '4': return "a block device";
            case '6': return "a FIFO";
            case 'S': return "a GNU sparse file";
            case 'V': return "a GNU volume header";
            case 'M': return "a GNU multi-volume continuation";
            case 'D': return "a GNU dump directory";
            default:
                return type >= 0x21 && type < 0x7f
                        ? "of unsupported type '" + type + "'"
                        : "of unsupported type 0x" + Integer.toHexString(type);
        }
    }

    /** Reads one block; false at a clean end of stream, an error inside a block. */
    private static boolean readBlock(InputStream in, byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw EntryCollector.wholeBundle("tar archive is truncated: its last block has " + n + " of 512 bytes");
        }
        return true;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static void verifyChecksum(byte[] header, EntryCollector collector) {
        long stored;
        try {
            stored = parseOctal(header, 148, 8);
        } catch (NumberFormatException e) {
            throw collectorError(collector, "tar archive is corrupt: a header has an unreadable checksum");
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += (byte) b;
        }
        if (stored != unsigned && stored != signed) {
            throw collectorError(collector, "tar archive is corrupt: header checksum mismatch (stored " + stored
                    + ", computed " + unsigned + ")" + nameHint(header));
        }
    }

    private static String nameHint(byte[] header) {
        int end = indexOfNul(header, 0, 100);
        String name = new String(header, 0, end, StandardCharsets.ISO_8859_1);
        return name.isEmpty() ? "" : " at entry '" + ControlChars.escaped(name) + "'";
    }

    private static String headerName(byte[] header, EntryCollector collector) {
        String name = decodeName(Arrays.copyOf(header, indexOfNul(header, 0, 100)), "<header>");
        boolean posixUstar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r' && header[262] == 0;
        if (posixUstar) {
            int end = indexOfNul(header, 345, 500);
            if (end > 345) {
                String prefix = decodeName(Arrays.copyOfRange(header, 345, end), name);
                name = prefix + "/" + name;
            }
        }
        return name;
    }

    private static int indexOfNul(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return to;
    }

    private static String decodeName(byte[] bytes, String context) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw PolicyLoadException.of(new String(bytes, StandardCharsets.ISO_8859_1),
                    "entry name is not valid UTF-8 (in " + context + ")");
        }
    }

    /** A numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
    private static long parseNumber(byte[] header, int offset, int length, String entry, String field) {
        if ((header[offset] & 0x80) != 0) {
            if ((header[offset] & 0x40) != 0) {
                throw PolicyLoadException.of(entry, "tar header field '" + field + "' is negative");
            }
            long value = header[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if (value > (Long.MAX_VALUE >> 8)) {
                    throw PolicyLoadException.of(entry, "tar header field '" + field + "' is too large");
                }
                value = (value << 8) | (header[offset + i] & 0xff);
            }
            return value;
        }
        try {
            return parseOctal(header, offset, length);
        } catch (NumberFormatException e) {
            throw PolicyLoadException.of(entry, "tar header field '" + field + "' is not an octal number");
        }
    }

    private static long parseOctal(byte[] header, int offset, int length) {
        int i = offset;
        int end = offset + length;
        while (i < end && header[i] == ' ') {
            i++;
        }
        long value = 0;
        int digits = 0;
        for (; i < end; i++) {
            byte b = header[i];
            if (b == 0 || b == ' ') {
                break;
            }
            if (b < '0' || b > '7') {
                throw new NumberFormatException();
            }
            value = (value << 3) | (b - '0');
            digits++;
        }
        for (; i < end; i++) {
            if (header[i] != 0 && header[i] != ' ') {
                throw new NumberFormatException();
            }
        }
        if (digits == 0) {
            throw new NumberFormatException();
        }
        return value;
    }

    private static byte[] readMeta(InputStream in, long size, String entry, String what) throws IOException {
        if (size > BundleLimits.MAX_META_ENTRY_BYTES) {
            throw PolicyLoadException.of(entry, what + " is " + size + " bytes; at most "
                    + BundleLimits.MAX_META_ENTRY_BYTES + " are accepted");
        }
        byte[] content = in.readNBytes((int) size);
        if (content.length != size) {
            throw PolicyLoadException.of(entry, "tar archive is truncated inside this " + what);
        }
        skipPadding(in, size, entry);
        return content;
    }

    private static void skipPadding(InputStream in, long size, String entry) throws IOException {
        try {
            in.skipNBytes(padding(size));
        } catch (EOFException e) {
            throw PolicyLoadException.of(entry, "tar archive is truncated inside this entry's padding");
        }
    }

    private static long padding(long size) {
        return (BLOCK - (size % BLOCK)) % BLOCK;
    }

    private record PaxRecords(String path, Long size) {}

    /** Parses pax records {@code "<length> <key>=<value>\n"}; keeps {@code path} and {@code size}. */
    private static PaxRecords parsePax(byte[] pax, String entry) {
        String path = null;
        Long size = null;
        int pos = 0;
        while (pos < pax.length) {
            if (pax[pos] == 0) {
                break; // some writers pad with NULs
            }
            int space = pos;
            while (space < pax.length && pax[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(pax, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw PolicyLoadException.of(entry, "pax extended header has a record without a valid length");
            }
            if (length <= space - pos + 1 || pos + length > pax.length || pax[pos + length - 1] != '\n') {
                throw PolicyLoadException.of(entry, "pax extended header has a malformed record");
            }
            int eq = space + 1;
            while (eq < pos + length - 1 && pax[eq] != '=') {
                eq++;
            }
            if (eq >= pos + length - 1) {
                throw PolicyLoadException.of(entry, "pax extended header has a record without '='");
            }
            String key = new String(pax, space + 1, eq - space - 1, StandardCharsets.UTF_8);
            byte[] value = Arrays.copyOfRange(pax, eq + 1, pos + length - 1);
            if (key.equals("path")) {
                path = decodeName(value, entry);
            } else if (key.equals("size")) {
                try {
                    size = Long.parseLong(new String(value, StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    throw PolicyLoadException.of(entry, "pax extended header has a size that is not a number");
                }
                if (size < 0) {
                    throw PolicyLoadException.of(entry, "pax extended header has a negative size");
                }
            }
            pos += length;
        }
        return new PaxRecords(path, size);
    }
}

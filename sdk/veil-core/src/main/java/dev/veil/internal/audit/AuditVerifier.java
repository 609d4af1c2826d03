package dev.veil.internal.audit;

import dev.veil.internal.text.ControlChars;
import dev.veil.internal.io.FileErrors;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.veil.AuditVerification;
import dev.veil.VeilException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Checks the hash chain of an audit log, front to back, and reports the first broken line.
 *
 * <p>A line is intact when it is UTF-8 text, a JSON object without duplicate keys, byte for byte in
 * canonical form ({@link CanonicalJson}), whose {@code hash} is the SHA-256 of the canonical JSON of
 * the object without {@code hash} and whose {@code prev_hash} is the {@code hash} of the line before
 * (64 zeros for line 1). The file
 * must end with a newline; a last line without one is reported as truncated.
 *
 * <p>Stateless and thread-safe; each call reads its input once.
 */
public final class AuditVerifier {
    /** Lines longer than this are not audit records (and are not buffered further). */
    static final int MAX_LINE_BYTES = CanonicalJson.MAX_RECORD_BYTES;

    private static final HexFormat HEX = HexFormat.of();

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    private AuditVerifier() {}

    /**
     * Verifies the log in {@code file}.
     *
     * @param file the log file
     * @return the outcome
     * @throws VeilException when the file cannot be read
     */
    public static AuditVerification verify(Path file) {
        return verify(file, null);
    }

    /**
     * Verifies the log in {@code file}, and, when {@code keptHash} is not null, that some record has
     * it as its own hash ({@link dev.veil.AuditLog#verify(Path, String)}).
     */
    public static AuditVerification verify(Path file, String keptHash) {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            in.mark(2);
            if (in.read() == 0x1f && in.read() == 0x8b) {
                // a rotated log compressed by logrotate: its bytes are no records, and not a sign of tampering
                throw new VeilException("audit log " + file + " is gzip-compressed (a rotated log?): this reads "
                        + "plain logs; decompress it first (zcat), or check it with veil audit verify, which reads "
                        + ".gz files");
            }
            in.reset();
            return verify(in, keptHash);
        } catch (IOException e) {
            throw new VeilException("cannot read audit log " + file + ": " + FileErrors.reason(e), e);
        }
    }

    /**
     * Verifies a log read from {@code in} (not closed).
     *
     * @param in the log's bytes
     * @return the outcome
     * @throws IOException when reading fails
     */
    public static AuditVerification verify(InputStream in) throws IOException {
        return verify(in, null);
    }

    /** As {@link #verify(InputStream)}, with a kept hash as in {@link #verify(Path, String)}. */
    public static AuditVerification verify(InputStream in, String keptHash) throws IOException {
        LineReader lines = new LineReader(in);
        Checker checker = new Checker();
        String prev = AuditSerializer.ZERO_HASH;
        boolean keptSeen = keptHash == null || keptHash.equals(AuditSerializer.ZERO_HASH);
        long lineNo = 0;
        while (true) {
            int status = lines.next();
            if (status == LineReader.EOF) {
                if (!keptSeen) {
                    return new AuditVerification(false, lineNo, lineNo + 1, "", "no record of the log has the hash "
                            + keptHash + " kept from an earlier check (its last record's is " + prev + "): records "
                            + "were removed from its end, or it was rewritten", prev);
                }
                return new AuditVerification(true, lineNo, 0, "", "ok " + lineNo + " records", prev);
            }
            lineNo++;
            if (status == LineReader.TOO_LONG) {
                return broken(lineNo, prev, "", "is longer than " + MAX_LINE_BYTES + " bytes: not an audit record");
            }
            Checked c = checker.check(lines.buf(), lines.length(), prev);
            if (c.problem == null && status == LineReader.NO_NEWLINE) {
                return broken(lineNo, prev, c.decisionId, "is truncated: the file does not end with a newline"
                        + " (a write was interrupted or the file was cut)");
            }
            if (c.problem != null) {
                String why = status == LineReader.NO_NEWLINE
                        ? "is truncated: the file ends without a newline inside this record (" + c.problem + ")"
                        : c.problem;
                return broken(lineNo, prev, c.decisionId, why);
            }
            prev = c.hash;
            keptSeen |= prev.equals(keptHash);
        }
    }

    private static AuditVerification broken(long line, String lastGoodHash, String decisionId, String why) {
        // the decision id and a parser's message come from the file, which may have been edited to print
        // as something else (a line break, a terminal command, U+202E): escaped
        String message = ControlChars.escaped("line " + line + (decisionId.isEmpty() ? "" : " (decision " + decisionId
                + ")") + " " + why);
        return new AuditVerification(false, line - 1, line, decisionId, message, lastGoodHash);
    }

    /** The result of checking one line: its hash when intact, else a problem. */
    static final class Checked {
        final String hash;
        final String decisionId;
        final String problem;

        private Checked(String hash, String decisionId, String problem) {
            this.hash = hash;
            this.decisionId = decisionId;
            this.problem = problem;
        }
    }

    /** Checks single lines; reuses its buffers, so one per thread. */
    static final class Checker {
        private final MessageDigest sha = CanonicalJson.sha256();
        private final ByteSink canonical = new ByteSink(4096);

        /**
         * @param buf the line's bytes (without the newline)
         * @param len its length
         * @param expectedPrev the previous record's hash, or null when unknown (then only the line's
         *     own hash is checked)
         */
        Checked check(byte[] buf, int len, String expectedPrev) {
            if (len == 0) {
                return new Checked(null, "", "is empty: not an audit record");
            }
            int bad = firstInvalidUtf8(buf, len);
            if (bad >= 0) {
                return new Checked(null, "", "is not valid UTF-8 (at byte " + bad + "): audit records are UTF-8"
                        + " text, so it was edited or re-encoded");
            }
            JsonNode tree;
            try {
                tree = CanonicalJson.READER.readTree(buf, 0, len);
            } catch (IOException e) {
                // Jackson's own text, without its source and location notes (the line is named already)
                String why = firstLine(e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                        ? j.getOriginalMessage() : e.getMessage());
                int marker = why.indexOf(" (start marker at ");
                return new Checked(null, "", "is not valid JSON: " + (marker < 0 ? why : why.substring(0, marker)));
            }
            if (tree == null || !tree.isObject()) {
                return new Checked(null, "", "is not a JSON object: not an audit record");
            }
            JsonNode id = tree.get("decision_id");
            String decisionId = id != null && id.isTextual() ? id.textValue() : "";
            JsonNode hashNode = tree.get("hash");
            if (hashNode == null || !hashNode.isTextual() || !HASH.matcher(hashNode.textValue()).matches()) {
                return new Checked(null, decisionId, "has no valid hash (64 lowercase hex digits)");
            }
            JsonNode prevNode = tree.get("prev_hash");
            if (prevNode == null || !prevNode.isTextual() || !HASH.matcher(prevNode.textValue()).matches()) {
                return new Checked(null, decisionId, "has no valid prev_hash (64 lowercase hex digits)");
            }
            canonical.reset();
            long hashSpan;
            try (JsonGenerator g = CanonicalJson.FACTORY.createGenerator(canonical, JsonEncoding.UTF8)) {
                hashSpan = CanonicalJson.writeRecord(g, canonical, tree, "hash");
            } catch (IOException e) {
                return new Checked(null, decisionId, "cannot be put in canonical form: " + firstLine(e.getMessage()));
            }
            // The hash covers the canonical form without the field hash: the canonical bytes less its span.
            byte[] c = canonical.array();
            int from = (int) (hashSpan >>> 32);
            int to = (int) hashSpan;
            sha.reset();
            sha.update(c, 0, from);
            sha.update(c, to, canonical.size() - to);
            String actual = HEX.formatHex(sha.digest());
            String claimed = hashNode.textValue();
            if (!actual.equals(claimed)) {
                return new Checked(null, decisionId, "was altered: its hash does not match its content");
            }
            // The bytes themselves must be the canonical form, or an edit that parses to the same
            // values (other spacing, key order, escapes, number spellings, a byte order mark) would pass.
            int at = Arrays.mismatch(buf, 0, len, c, 0, canonical.size());
            if (at >= 0 && at == canonical.size() && len == at + 1 && buf[at] == '\r') {
                // the record itself is intact: only its line ends in CR LF, as a copy through Windows
                // tools or a text-mode transfer leaves it; still not the log as written, so still broken
                return new Checked(null, decisionId, "ends with a carriage return (\\r\\n line endings: the "
                        + "file was converted in transit, e.g. by a text-mode transfer or a Windows tool?); the "
                        + "log is written with \\n alone, so verify the original file, or convert this one back "
                        + "(e.g. sed 's/\\r$//')");
            }
            if (at >= 0) {
                return new Checked(null, decisionId, "is not in canonical form (from byte " + at + " on it differs "
                        + "from the one way the log writes this record: sorted keys, no whitespace, shortest "
                        + "numbers, minimal escapes), so it was edited");
            }
            if (expectedPrev != null && !prevNode.textValue().equals(expectedPrev)) {
                String why = expectedPrev.equals(AuditSerializer.ZERO_HASH)
                        ? "breaks the chain: the first record must have a prev_hash of 64 zeros"
                                + " (records before it were removed)"
                        : "breaks the chain: its prev_hash is not the hash of the line before"
                                + " (a record was removed, inserted or reordered)";
                return new Checked(null, decisionId, why);
            }
            return new Checked(claimed, decisionId, null);
        }
    }

    /**
     * The offset of the first byte of {@code b[0, len)} that is not part of well-formed UTF-8 (RFC 3629:
     * no overlong form, no surrogate, nothing above U+10FFFF), or -1 when all are.
     */
    static int firstInvalidUtf8(byte[] b, int len) {
        int i = 0;
        while (i < len) {
            int x = b[i] & 0xff;
            if (x < 0x80) {
                i++;
                continue;
            }
            int n;
            int lo = 0x80;
            int hi = 0xbf;
            if (x >= 0xc2 && x <= 0xdf) {
                n = 1;
            } else if (x >= 0xe0 && x <= 0xef) {
                n = 2;
                lo = x == 0xe0 ? 0xa0 : 0x80;
                hi = x == 0xed ? 0x9f : 0xbf;
            } else if (x >= 0xf0 && x <= 0xf4) {
                n = 3;
                lo = x == 0xf0 ? 0x90 : 0x80;
                hi = x == 0xf4 ? 0x8f : 0xbf;
            } else {
                return i;
            }
            if (i + n >= len) {
                return i;
            }
            int second = b[i + 1] & 0xff;
            if (second < lo || second > hi) {
                return i;
            }
            for (int k = 2; k <= n; k++) {
                int y = b[i + k] & 0xff;
                if (y < 0x80 || y > 0xbf) {
                    return i;
                }
            }
            i += n + 1;
        }
        return -1;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Reads newline-terminated lines as bytes, with its own buffering. */
    private static final class LineReader {
        static final int EOF = 0;
        static final int LINE = 1;
        static final int NO_NEWLINE = 2;
        static final int TOO_LONG = 3;

        private final InputStream in;
        private final byte[] chunk = new byte[1 << 16];
        private int pos;
        private int end;
        private byte[] buf = new byte[8192];
        private int len;

        LineReader(InputStream in) {
            this.in = in;
        }

        int next() throws IOException {
            len = 0;
            boolean any = false;
            while (true) {
                if (pos == end) {
                    int n = in.read(chunk, 0, chunk.length);
                    pos = 0;
                    end = Math.max(n, 0);
                    if (n <= 0) {
                        return any ? NO_NEWLINE : EOF;
                    }
                }
                any = true;
                int start = pos;
                while (pos < end && chunk[pos] != '\n') {
                    pos++;
                }
                int n = pos - start;
                if ((long) len + n > MAX_LINE_BYTES) {
                    return TOO_LONG;
                }
                if (len + n > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(MAX_LINE_BYTES, Math.max(2L * buf.length, len + n)));
                }
                System.arraycopy(chunk, start, buf, len, n);
                len += n;
                if (pos < end) {
                    pos++;
                    return LINE;
                }
            }
        }

        byte[] buf() {
            return buf;
        }

        int length() {
            return len;
        }
    }
}

package dev.veil.cli;

import static dev.veil.cli.CliTestSupport.application;
import static dev.veil.cli.CliTestSupport.ask;
import static dev.veil.cli.CliTestSupport.assertFails;
import static dev.veil.cli.CliTestSupport.quickstartBundle;
import static dev.veil.cli.CliTestSupport.s;
import static dev.veil.cli.CliTestSupport.veil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.veil.AuditLog;
import dev.veil.Guard;
import dev.veil.Response;
import dev.veil.cli.CliTestSupport.QuickstartBundle;
import dev.veil.cli.CliTestSupport.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil audit verify} on an audit log written by a real Guard, and on damaged copies. */
class AuditCommandTest {
    static final int REQUESTS = 5;

    @TempDir
    static Path shared;

    static Path log;
    static List<String> lines;
    static List<String> decisionIds = new ArrayList<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void runAGuard() throws Exception {
        QuickstartBundle b = quickstartBundle(shared.resolve("bundle"));
        log = shared.resolve("audit.jsonl");
        try (Guard<Map<String, Double>> guard = CliTestSupport.guard(b.dir(), log)) {
            List<Response> responses = List.of(
                    ask(guard, b.analystKey(), application(85_000, 250_000, 41)),
                    ask(guard, b.internKey(), application(85_000, 250_000, 41)),
                    ask(guard, b.analystKey(), application(10_000, 1_000_000, 30)),
                    ask(guard, "veil_nobody00_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", application(1, 1, 20)),
                    ask(guard, b.analystKey(), application(60_000, 100_000, 33)));
            assertThat(responses).extracting(Response::allowed).containsExactly(true, false, false, false, true);
            responses.forEach(r -> decisionIds.add(r.decisionId()));
        }
        lines = Files.readAllLines(log);
        assertThat(lines).hasSize(REQUESTS);
    }

    private Path copy(List<String> content) throws Exception {
        Path p = Files.createTempFile(tmp, "audit", ".jsonl");
        Files.write(p, content);
        return p;
    }

    @Test
    void intactLogIsOk() {
        Result r = veil("audit", "verify", s(log));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.outLines()).containsExactly("ok " + REQUESTS + " records",
                "last hash: " + AuditLog.verify(log).lastHash());
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aKeptLastHashCatchesRecordsRemovedFromTheEndAndAcceptsALogThatGrew() throws Exception {
        List<String> lines = Files.readAllLines(log);
        String kept = AuditLog.verify(log).lastHash();
        assertThat(veil("audit", "verify", s(log), "--last-hash", kept).exit()).isZero();
        // the log grew since the hash was kept: still fine
        Path shorter = copy(lines.subList(0, lines.size() - 1));
        String keptEarlier = AuditLog.verify(shorter).lastHash();
        assertThat(veil("audit", "verify", s(log), "--last-hash", keptEarlier).exit()).isZero();
        // the last record removed: the chain alone is intact, the kept hash is not there
        Result r = veil("audit", "verify", s(shorter), "--last-hash", kept);
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: no record of the log has the hash " + kept);
    }

    @Test
    void aKeptLastHashCannotBeFakedByARecordThatQuotesIt() throws Exception {
        List<String> lines = Files.readAllLines(log);
        String kept = AuditLog.verify(log).lastHash();
        Path shorter = copy(lines.subList(0, lines.size() - 1));
        String prev = AuditLog.verify(shorter).lastHash();
        // a forged last record, correctly chained and hashed, that carries the kept hash in a field
        String body = "{\"decision_id\":\"forged\",\"note\":{\"hash\":\"" + kept + "\"},\"prev_hash\":\"" + prev
                + "\"}";
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        List<String> forged = new ArrayList<>(lines.subList(0, lines.size() - 1));
        forged.add("{\"decision_id\":\"forged\",\"hash\":\"" + hash + "\",\"note\":{\"hash\":\"" + kept
                + "\"},\"prev_hash\":\"" + prev + "\"}");
        Path f = copy(forged);
        assertThat(veil("audit", "verify", s(f)).exit()).as("the forged chain itself is intact").isZero();
        Result r = veil("audit", "verify", s(f), "--last-hash", kept);
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: no record of the log has the hash " + kept);
    }

    @Test
    void aKeptHashOfTheEmptyLogOrInCapitalsIsAcceptedAndAMalformedOneIsAUsageError() {
        assertThat(veil("audit", "verify", s(log), "--last-hash", "0".repeat(64)).exit()).isZero();
        assertThat(veil("audit", "verify", s(log), "--last-hash",
                AuditLog.verify(log).lastHash().toUpperCase(java.util.Locale.ROOT)).exit()).isZero();
        assertFails(veil("audit", "verify", s(log), "--last-hash", "abc"), 2,
                "--last-hash must be 64 hexadecimal digits, as 'veil audit verify' prints after 'last hash:', was "
                        + "'abc'");
    }

    @Test
    void emptyLogIsOkWithZeroRecords() throws Exception {
        Result r = veil("audit", "verify", s(copy(List.of())));
        assertThat(r.exit()).isZero();
        assertThat(r.outLines()).containsExactly("ok 0 records", "last hash: " + "0".repeat(64));
    }

    /**
     * A decision id edited to hold a terminal escape and U+202E was printed as it was by 'veil audit
     * verify': the operator checking a tampered log saw the screen cleared and a reordered line.
     */
    @Test
    void anEditedDecisionIdIsPrintedEscaped() throws Exception {
        List<String> edited = new ArrayList<>(lines);
        String before = edited.get(2);
        String after = before.replace(decisionIds.get(2), "\\u001b[2J\u202eforged\u2028");
        assertThat(after).isNotEqualTo(before);
        edited.set(2, after);
        Result r = veil("audit", "verify", s(copy(edited)));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line 3 (decision \\u001b[2J\\u202eforged\\u2028)")
                .doesNotContain("\u001b", "\u202e", "\u2028");
        assertThat(r.out().lines()).hasSize(1);
    }

    /** A CliException quoting a path with a terminal escape and U+202E printed them raw on standard error. */
    @Test
    void aMessageQuotingAPathPrintsItEscaped() {
        Result r = veil("audit", "verify", s(tmp.resolve("a\u001b[2Jb\u202ec.jsonl")));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("a\\u001b[2Jb\\u202ec.jsonl").doesNotContain("\u001b", "\u202e");
    }

    @Test
    void editedRecordIsBroken() throws Exception {
        List<String> edited = new ArrayList<>(lines);
        String before = edited.get(2);
        String after = before.replace("\"id\":\"alice\"", "\"id\":\"mallory\"");
        assertThat(after).as("line 3 is a request by alice").isNotEqualTo(before);
        edited.set(2, after);
        Result r = veil("audit", "verify", s(copy(edited)));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line 3 (decision " + decisionIds.get(2) + ")");
        assertThat(r.out().lines()).hasSize(1);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void removedRecordIsBroken() throws Exception {
        List<String> removed = new ArrayList<>(lines);
        removed.remove(1);
        Result r = veil("audit", "verify", s(copy(removed)));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line 2 (decision " + decisionIds.get(2) + ")");
    }

    @Test
    void reorderedRecordsAreBroken() throws Exception {
        List<String> reordered = new ArrayList<>(lines);
        reordered.set(3, lines.get(4));
        reordered.set(4, lines.get(3));
        Result r = veil("audit", "verify", s(copy(reordered)));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line 4 (decision " + decisionIds.get(4) + ")");
    }

    /** A log converted to CR LF line endings is still broken, but said to be converted, not edited. */
    @Test
    void crlfLineEndingsAreBrokenAndSaidToBeAConversion() throws Exception {
        Path crlf = tmp.resolve("crlf.jsonl");
        Files.writeString(crlf, String.join("\r\n", lines) + "\r\n");
        Result r = veil("audit", "verify", s(crlf));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line 1 (decision " + decisionIds.get(0) + ")")
                .contains("ends with a carriage return").contains("converted in transit").doesNotContain("edited");
    }

    @Test
    void lastLineCutShortIsBroken() throws Exception {
        byte[] all = Files.readAllBytes(log);
        Path cut = tmp.resolve("cut.jsonl");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 10));
        Result r = veil("audit", "verify", s(cut));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line " + REQUESTS + " ").contains("truncated");
    }

    @Test
    void aLineThatIsNotJsonIsBroken() throws Exception {
        List<String> garbage = new ArrayList<>(lines);
        garbage.add(1, "not json");
        Result r = veil("audit", "verify", s(copy(garbage)));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEqualTo("broken: line 2 is not valid JSON: "
                + r.out().substring("broken: line 2 is not valid JSON: ".length()));
    }

    @Test
    void missingFile() {
        Path none = tmp.resolve("none.jsonl");
        assertFails(veil("audit", "verify", s(none)), 2, "veil audit verify: audit log " + none + ": no such file");
    }

    @Test
    void directory() {
        assertFails(veil("audit", "verify", s(tmp)), 2,
                "veil audit verify: audit log " + tmp + ": is a directory, expected a file");
    }

    @Test
    void unreadableFile() throws Exception {
        Path p = copy(lines);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("---------"));
        assumeTrue(!Files.isReadable(p), "running as root, who can read a file without permissions: "
                + "the unreadable-file check cannot be exercised");
        assertFails(veil("audit", "verify", s(p)), 2, "audit log " + p + ": is not readable");
    }

    @Test
    void missingArgumentIsAUsageError() {
        assertFails(veil("audit", "verify"), 2, "Missing required parameter: 'FILE'");
    }

    @Test
    void binaryFileIsNotAnAuditLogNotACrash() throws Exception {
        Path p = tmp.resolve("bin");
        Files.write(p, new byte[] {0, 1, 2, (byte) 0xff, '\n'});
        assertFails(veil("audit", "verify", s(p)), 2, "veil audit verify: audit log " + p + ": not an audit log "
                + "(line 1 is not JSON)");
        assertThat(Files.readAllBytes(p)).as("verify never changes the file")
                .containsExactly(0, 1, 2, (byte) 0xff, '\n');
    }

    /** A log rotated and compressed with gzip is checked as it is: the same records, hash and breaks. */
    @Test
    void aGzipCompressedLogIsVerifiedAsItIs() throws Exception {
        Result plain = veil("audit", "verify", s(log));
        Path gz = gzipped("audit.jsonl.gz", Files.readAllBytes(log));

        Result r = veil("audit", "verify", s(gz));

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(plain.out()).startsWith("ok " + lines.size() + " records");
        String lastHash = plain.out().substring(plain.out().indexOf("last hash: ") + 11).strip();
        assertThat(veil("audit", "verify", s(gz), "--last-hash", lastHash).exit()).isZero();

        // two gzip members, as 'cat a.gz b.gz' makes: one log
        byte[] all = Files.readAllBytes(log);
        int half = String.join("\n", lines.subList(0, lines.size() / 2)).length() + 1;
        Path twoMembers = tmp.resolve("two.jsonl.gz");
        Files.write(twoMembers, concat(gzip(java.util.Arrays.copyOfRange(all, 0, half)),
                gzip(java.util.Arrays.copyOfRange(all, half, all.length))));
        assertThat(veil("audit", "verify", s(twoMembers)).out()).isEqualTo(plain.out());

        // a record removed inside the compressed log: broken, at the line after it
        List<String> removed = new ArrayList<>(lines);
        removed.remove(2);
        Result broken = veil("audit", "verify", s(gzipped("removed.jsonl.gz",
                (String.join("\n", removed) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertThat(broken.exit()).as(broken.toString()).isEqualTo(1);
        assertThat(broken.out()).startsWith("broken: line 3");

        // cut short (a copy interrupted mid-file): cannot be checked, and said so
        byte[] whole = Files.readAllBytes(gz);
        Path cut = tmp.resolve("cut.jsonl.gz");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertFails(veil("audit", "verify", s(cut)), 2, "veil audit verify: audit log " + cut + ": its gzip-compressed "
                + "content cannot be read (");
        assertFails(veil("audit", "verify", s(cut)), 2, "a cut-short or damaged .gz file cannot be verified; check it "
                + "with 'gzip -t " + cut + "'");

        // compressed text that is no log is none, as uncompressed
        assertFails(veil("audit", "verify", s(gzipped("words.gz", "hello\nworld\n".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)))), 2, ": not an audit log (line 1 is not JSON)");
        assertThat(Files.readAllBytes(gz)).as("verify never changes the file").isEqualTo(whole);
    }

    /**
     * A damaged .gz is exit 2 with a pointer to 'gzip -t', wherever the damage is: java.util.zip's
     * GZIPInputStream took a bad header after the first member for the end of the file and verified
     * the first member's records alone as "ok".
     */
    @Test
    void aDamagedMultiMemberGzipIsNotVerifiedAsTheFirstMemberAlone() throws Exception {
        byte[] all = Files.readAllBytes(log);
        int half = String.join("\n", lines.subList(0, lines.size() / 2)).length() + 1;
        byte[] first = gzip(java.util.Arrays.copyOfRange(all, 0, half));
        byte[] second = gzip(java.util.Arrays.copyOfRange(all, half, all.length));
        byte[] two = concat(first, second);
        Result plain = veil("audit", "verify", s(log));
        assertThat(veil("audit", "verify", s(write("two.gz", two))).out()).isEqualTo(plain.out());

        // the second member's magic (byte 1) or flags (byte 3) damaged, as 'gzip -t' reports
        byte[] badMagic = two.clone();
        badMagic[first.length + 1] ^= (byte) 0xff;
        assertGzipDamaged("bad-magic.gz", badMagic, "trailing garbage or a damaged gzip member at byte offset "
                + first.length + ": found 1f 74 where a gzip member (1f 8b) or the end of the file must follow "
                + "gzip member 1");
        byte[] badFlags = two.clone();
        badFlags[first.length + 3] ^= (byte) 0xff;
        assertGzipDamaged("bad-flags.gz", badFlags, "gzip member 2 (at byte offset " + first.length + ") has "
                + "reserved flag bits set (FLG ff): a damaged header");
        byte[] badMethod = two.clone();
        badMethod[first.length + 2] = 7;
        assertGzipDamaged("bad-method.gz", badMethod, "gzip member 2 (at byte offset " + first.length + ") has "
                + "compression method 7, not 8 (deflate)");

        // bytes after the last member, one member or two
        assertGzipDamaged("garbage.gz", concat(two, "garbage\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "trailing garbage or a damaged gzip member at byte offset " + two.length + ": found 67 61");
        assertGzipDamaged("zero.gz", concat(first, new byte[1]), "1 zero byte after the end of the gzip stream (at "
                + "byte offset " + first.length + "): gzip ignores trailing zeros, but the file must end where its gzip "
                + "stream does: truncate it to " + first.length + " bytes");

        // a trailer whose CRC-32 or length does not match the data (in the last member, so nothing follows)
        byte[] badCrc = two.clone();
        badCrc[two.length - 8] ^= 1;
        assertGzipDamaged("bad-crc.gz", badCrc, "gzip member 2 (at byte offset " + first.length + "): CRC-32 "
                + "mismatch (its trailer at byte offset " + (two.length - 8) + " says ");
        byte[] badSize = two.clone();
        badSize[two.length - 4] ^= 1;
        assertGzipDamaged("bad-size.gz", badSize, "gzip member 2 (at byte offset " + first.length + "): length "
                + "mismatch");
        byte[] badCrcFirst = two.clone();
        badCrcFirst[first.length - 8] ^= 1;
        assertGzipDamaged("bad-crc-1.gz", badCrcFirst, "gzip member 1 (at byte offset 0): CRC-32 mismatch");

        // a member cut short: inside its data, its trailer, its header
        assertGzipDamaged("cut-data.gz", java.util.Arrays.copyOf(two, first.length + second.length / 2),
                "cut short: the file ends at byte offset " + (first.length + second.length / 2) + " inside the "
                        + "compressed data of gzip member 2 (at byte offset " + first.length + ")");
        assertGzipDamaged("cut-trailer.gz", java.util.Arrays.copyOf(two, two.length - 3), "cut short: the file "
                + "ends at byte offset " + (two.length - 3) + " inside the trailer of gzip member 2");
        assertGzipDamaged("cut-header.gz", java.util.Arrays.copyOf(two, first.length + 5), "cut short: the file "
                + "ends at byte offset " + (first.length + 5) + " inside the header of gzip member 2");
    }

    /** Members with the optional header fields (a file name, as 'gzip file' writes, and the others) verify. */
    @Test
    void gzipMembersWithOptionalHeaderFieldsAreVerified() throws Exception {
        Result plain = veil("audit", "verify", s(log));
        byte[] all = Files.readAllBytes(log);
        byte[] named = withHeaderFields(gzip(all), 8, "audit.jsonl\0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Result r = veil("audit", "verify", s(write("named.jsonl.gz", named)));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(plain.out());

        // FEXTRA (2-byte length, then the field), FNAME, FCOMMENT and FHCRC (the header's CRC-32, low 16 bits)
        byte[] fields = concat(new byte[] {3, 0, 'a', 'b', 'c'}, "name\0comment\0".getBytes(
                java.nio.charset.StandardCharsets.UTF_8));
        byte[] every = withHeaderFields(gzip(all), 4 | 8 | 16 | 2, fields);
        Result e = veil("audit", "verify", s(write("every.jsonl.gz", every)));
        assertThat(e.exit()).as(e.toString()).isZero();
        assertThat(e.out()).isEqualTo(plain.out());
        byte[] badHeaderCrc = every.clone();
        badHeaderCrc[10 + fields.length] ^= 1;
        assertGzipDamaged("bad-hcrc.gz", badHeaderCrc, "gzip member 1 (at byte offset 0): header CRC mismatch");
    }

    private void assertGzipDamaged(String name, byte[] content, String why) throws Exception {
        Path p = write(name, content);
        Result r = veil("audit", "verify", s(p));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).contains("veil audit verify: audit log " + p + ": its gzip-compressed "
                + "content cannot be read (").contains(why).contains("a cut-short or damaged .gz file cannot be "
                + "verified; check it with 'gzip -t " + p + "'");
    }

    /**
     * {@code member} (as GZIPOutputStream writes it: a 10-byte header, no flags) with flags {@code flg}
     * and their {@code fields} (FEXTRA, FNAME, FCOMMENT in that order) added, and the header CRC when
     * {@code flg} has FHCRC (2).
     */
    private static byte[] withHeaderFields(byte[] member, int flg, byte[] fields) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] header = java.util.Arrays.copyOf(member, 10);
        header[3] = (byte) flg;
        out.writeBytes(header);
        out.writeBytes(fields);
        if ((flg & 2) != 0) {
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(out.toByteArray());
            out.write((int) crc.getValue());
            out.write((int) (crc.getValue() >> 8));
        }
        out.write(member, 10, member.length - 10);
        return out.toByteArray();
    }

    private Path write(String name, byte[] content) throws Exception {
        return Files.write(tmp.resolve(name), content);
    }

    private Path gzipped(String name, byte[] content) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, gzip(content));
        return p;
    }

    private static byte[] gzip(byte[] content) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.OutputStream o = new java.util.zip.GZIPOutputStream(bytes)) {
            o.write(content);
        }
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aFileThatIsNotALogAtAllIsSaidToBeNoneRatherThanBroken() throws Exception {
        assertFails(veil("audit", "verify", s(copy(List.of("hello", "world")))), 2,
                ": not an audit log (line 1 is not JSON)");
        assertFails(veil("audit", "verify", s(copy(List.of("[1, 2]")))), 2,
                ": not an audit log (no line of it is a JSON object, as every record is)");

        // a log whose first record was overwritten is still a broken log, as is one whose first record is cut
        List<String> damaged = new ArrayList<>(lines);
        damaged.set(0, "hello");
        Result r = veil("audit", "verify", s(copy(damaged)));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).startsWith("broken: line 1 is not valid JSON");
        Result cut = veil("audit", "verify", s(copy(List.of(lines.get(0).substring(0, 40)))));
        assertThat(cut.exit()).as(cut.toString()).isEqualTo(1);
    }
}

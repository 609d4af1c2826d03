package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(60)
class AuditFileTest {

    @TempDir
    Path dir;

    private Path writeLog(String name, int records) {
        Path file = dir.resolve(name);
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(16, Duration.ofSeconds(1)))) {
            for (int i = 0; i < records; i++) {
                w.append(AuditFixtures.denial("first-" + i));
            }
        }
        return file;
    }

    /** A new log is its owner's to write and its group's to read, nobody else's; an existing one keeps its mode. */
    @Test
    void aNewLogIsReadableByItsOwnerAndGroupOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX file modes");
        Path file = writeLog("mode.jsonl", 1);
        assertThat(Files.getPosixFilePermissions(file)).as("the umask may take more away, never add")
                .isSubsetOf(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"))
                .contains(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

        Path existing = Files.createFile(dir.resolve("existing.jsonl"));
        Files.setPosixFilePermissions(existing, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-r--"));
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(existing))) {
            w.append(AuditFixtures.denial("a"));
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)))
                .isEqualTo("rw-rw-r--");
    }

    @Test
    void shouldContinueTheChainWhenReopened() throws Exception {
        Path file = writeLog("audit.jsonl", 3);

        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            w.append(AuditFixtures.denial("second-0"));
            w.append(AuditFixtures.fullRelease("second-1"));
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(5);
        assertThat(AuditFixtures.parse(lines.get(3)).get("prev_hash").asText())
                .isEqualTo(AuditFixtures.parse(lines.get(2)).get("hash").asText());
        assertIntact(file, 5);
    }

    @Test
    void shouldStartANewChainInAnEmptyFile() throws Exception {
        Path file = dir.resolve("empty.jsonl");
        Files.createFile(file);

        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file))) {
            w.append(AuditFixtures.denial("a"));
        }

        assertThat(AuditFixtures.parse(Files.readAllLines(file).get(0)).get("prev_hash").asText())
                .isEqualTo(AuditSerializer.ZERO_HASH);
    }

    @Test
    void shouldRefuseToAppendWhenTheLastRecordWasEdited() throws Exception {
        Path file = writeLog("audit.jsonl", 3);
        String text = Files.readString(file);
        Files.writeString(file, text.replace("\"decision_id\":\"first-2\"", "\"decision_id\":\"forged\""));

        assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(file)))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log " + file + " is broken: line 3 (decision forged) was altered: its hash does not"
                        + " match its content. Refusing to append to a broken log: run 'veil audit verify " + file
                        + "', keep the file as evidence, and start a new one");
        assertThat(Files.readString(file)).isNotEqualTo(text).hasLineCount(3); // untouched by the refusal
    }

    @Test
    void shouldRefuseToAppendWhenTheLastLineIsTruncated() throws Exception {
        Path file = writeLog("audit.jsonl", 3);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 40));

        assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(file).durable()))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageStartingWith("audit log " + file + " is broken: line 3 is truncated: the file does not end"
                        + " with a newline (a write was interrupted or the file was cut). Refusing to append");
    }

    @Test
    void shouldRefuseAGzippedLogAsSuch() throws Exception {
        Path plain = writeLog("audit.jsonl", 3);
        Path gz = dir.resolve("audit.jsonl.gz");
        try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(plain, out);
        }

        assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(gz).durable()))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log " + gz + " is gzip-compressed, not a JSON-lines log a Guard can append to: give"
                        + " the Guard a new file ('veil audit verify' checks a rotated, compressed log as it is)");
    }

    /** A record torn inside an array: the message names the line, without Jackson's location notes. */
    @Test
    void aTornRecordIsReportedWithoutTheParsersLocationNotes() throws Exception {
        Path file = writeLog("audit.jsonl", 2);
        Files.writeString(file, "{\"decision_id\": \"x\", \"rules\": [\"a\"\n", java.nio.file.StandardOpenOption.APPEND);

        dev.veil.AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).isFalse();
        assertThat(v.message()).startsWith("line 3 is not valid JSON: ").doesNotContain("start marker")
                .doesNotContain("Source");
    }

    @Test
    void shouldRefuseToAppendWhenTheLastLineIsNotARecord() throws Exception {
        Path file = writeLog("audit.jsonl", 2);
        Files.writeString(file, "garbage\n", java.nio.file.StandardOpenOption.APPEND);

        assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(file)))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageStartingWith("audit log " + file + " is broken: line 3 is not valid JSON");
    }

    @Test
    void shouldReadTheLastLineOfALargeFile() throws Exception {
        // the last line is found by reading backwards in blocks; make it span a block boundary
        Path file = dir.resolve("big.jsonl");
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            for (int i = 0; i < 200; i++) {
                w.append(AuditFixtures.fullRelease("big-" + i));
            }
        }
        assertThat(Files.size(file)).isGreaterThan(2 * 65536);

        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file))) {
            w.append(AuditFixtures.denial("after"));
        }

        assertThat(AuditLog.verify(file).records()).isEqualTo(201);
    }

    @Test
    void shouldRefuseASecondWriterOnTheSameFile() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditWriter first = AuditWriters.open(AuditLog.jsonLines(file))) {
            assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(file).durable()))
                    .isInstanceOf(AuditUnavailableException.class)
                    .hasMessage("audit log " + file + " is already open for writing in this process;"
                            + " close the other Guard or use another file");
            first.append(AuditFixtures.denial("a"));
        }
        try (AuditWriter again = AuditWriters.open(AuditLog.jsonLines(file))) { // released on close
            again.append(AuditFixtures.denial("b"));
        }
        assertThat(AuditLog.verify(file).records()).isEqualTo(2);
    }

    @Test
    void shouldRefuseAFileInAMissingDirectory() {
        Path file = dir.resolve("missing").resolve("audit.jsonl");

        assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(file)))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log " + file + ": directory " + dir.resolve("missing")
                        + " does not exist; create it first");
    }

    @Test
    void shouldRefuseADirectoryAsTheLogFile() {
        assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(dir)))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log " + dir + " is a directory; name a file");
    }

    @Test
    void shouldRefuseDevNullAndALinkToItInEitherMode() throws Exception {
        Path devNull = Path.of("/dev/null");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(devNull));
        Path link = Files.createSymbolicLink(dir.resolve("audit.jsonl"), devNull);
        for (Path file : List.of(devNull, link)) {
            for (AuditLog log : List.of(AuditLog.jsonLines(file), AuditLog.jsonLines(file).durable())) {
                assertThatThrownBy(() -> AuditWriters.open(log))
                        .isInstanceOf(AuditUnavailableException.class)
                        .hasMessage("audit log " + file + " is not a regular file (a device such as /dev/null, a pipe "
                                + "or a socket, or a symbolic link to one): records written there would not be kept; "
                                + "name a regular file, or a path where one can be created");
            }
        }
    }

    @Test
    void aLinkToARegularFileIsFollowedAndLockedBesideItsTarget() throws Exception {
        Path target = writeLog("real.jsonl", 2);
        Path link = Files.createSymbolicLink(dir.resolve("audit.jsonl"), target);
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(link).durable())) {
            assertThatThrownBy(() -> AuditWriters.open(AuditLog.jsonLines(target))) // one file, one lock
                    .isInstanceOf(AuditUnavailableException.class)
                    .hasMessageContaining("is already open for writing in this process");
            w.append(AuditFixtures.denial("through-the-link"));
        }
        assertThat(dir.resolve("real.jsonl.lock")).exists();
        assertThat(dir.resolve("audit.jsonl.lock")).doesNotExist();
        assertIntact(target, 3);
    }

    @Test
    void shouldVerifyAFileThroughThePublicApi() throws Exception {
        Path file = writeLog("audit.jsonl", 4);
        List<String> lines = Files.readAllLines(file);
        lines.remove(1);
        Files.write(file, lines, StandardCharsets.UTF_8);

        AuditVerification v = AuditLog.verify(file);

        assertThat(v.ok()).isFalse();
        assertThat(v.records()).isEqualTo(1);
        assertThat(v.firstBrokenLine()).isEqualTo(2);
        assertThat(v.firstBrokenDecisionId()).isEqualTo("first-2");
        assertThat(v.message()).isEqualTo("line 2 (decision first-2) breaks the chain: its prev_hash is not the hash"
                + " of the line before (a record was removed, inserted or reordered)");
        assertThat(v).hasToString(v.message());
    }

    @Test
    void shouldThrowWhenTheFileToVerifyCannotBeRead() {
        Path file = dir.resolve("nope.jsonl");

        assertThatThrownBy(() -> AuditLog.verify(file))
                .isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("cannot read audit log " + file + ": no such file or directory");
    }

    /** A rotated, compressed log is not taken for a tampered one: verify says it reads plain logs. */
    @Test
    void aGzipCompressedLogIsNamedAsSuchNotAsTampered() throws Exception {
        Path file = writeLog("rotated.jsonl", 3);
        Path gz = dir.resolve("rotated.jsonl.gz");
        try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(file, out);
        }
        assertThatThrownBy(() -> AuditLog.verify(gz)).isInstanceOf(dev.veil.VeilException.class)
                .hasMessage("audit log " + gz + " is gzip-compressed (a rotated log?): this reads plain logs; "
                        + "decompress it first (zcat), or check it with veil audit verify, which reads .gz files");
        assertThat(AuditLog.verify(file).ok()).isTrue();
        Path one = Files.write(dir.resolve("one-byte.jsonl"), new byte[] {0x1f});
        assertThat(AuditLog.verify(one).ok()).as("one byte of the magic is just a broken line").isFalse();
    }

    // ---------------------------------------------------------------- truncated while open

    /**
     * A durable log cut by another process (what logrotate's copytruncate does after the copy)
     * refuses the next batch and every one after it instead of writing after a hole. With
     * {@code raced}, the cut landed between the writer's size check and its write: the size is then
     * what the writer expects, with zero bytes where the records were (here the file is cut and
     * filled with as many zero bytes before the next batch, the state the race leaves), so the writer
     * finds the hole after its write and removes it with its batch.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aDurableLogTruncatedByAnotherProcessRefusesTheNextBatchInsteadOfWritingAfterAHole(boolean raced)
            throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable());
        w.append(AuditFixtures.denial("copied"));
        w.append(AuditFixtures.denial("copied-too"));
        long written = Files.size(file);
        truncate(file);
        if (raced) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.allocate((int) written), 0);
            }
        }

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("after-the-cut")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining(raced ? "the file was truncated by another process during a write"
                        : "the file was truncated by another process while open (0 bytes left of the " + written
                                + " written; logrotate's copytruncate does this)")
                .hasMessageContaining("not with copytruncate");
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("later"))).isInstanceOf(AuditUnavailableException.class);
        w.close();
        assertThat(Files.size(file)).as("nothing written after the cut, no hole of zero bytes").isZero();
    }

    @Test
    void anAsyncLogTruncatedByAnotherProcessStopsAndCountsWhatItCouldNotWrite() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(16, Duration.ofSeconds(1)));
        w.append(AuditFixtures.denial("copied"));
        awaitWritten(w, 1);
        truncate(file);

        w.append(AuditFixtures.denial("after-the-cut"));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (w.stats().lost() == 0) {
            assertThat(System.nanoTime()).as("the writer never noticed the truncation").isLessThan(deadline);
            Thread.sleep(2);
        }
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("later")))
                .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("truncated by another process");
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("1 accepted record(s) could not be written");
        assertThat(Files.size(file)).isZero();
    }

    private static void truncate(Path file) throws java.io.IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
    }

    // ---------------------------------------------------------------- deleted or renamed while open

    @Test
    void aDurableLogWhoseFileIsDeletedRefusesTheNextRecordInsteadOfWritingItUnseen() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable());
        w.append(AuditFixtures.denial("kept"));
        Files.delete(file);

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("unseen")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("the file was deleted while open (" + file + " no longer names it)");
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("later"))).isInstanceOf(AuditUnavailableException.class);
        w.close(); // the refused requests were refused, not lost: nothing to report
        assertThat(file).doesNotExist();
    }

    @Test
    void anAsyncLogWhoseFileIsDeletedCountsWhatWasLostAndRefusesLaterRecords() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(16, Duration.ofSeconds(1)));
        w.append(AuditFixtures.denial("kept"));
        awaitWritten(w, 1);
        Files.delete(file);

        int accepted = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                w.append(AuditFixtures.denial("unseen-" + accepted));
                accepted++;
            } catch (AuditUnavailableException e) {
                assertThat(e).hasMessageContaining("deleted while open");
                break;
            }
            assertThat(System.nanoTime()).as("the writer never noticed the deletion").isLessThan(deadline);
            Thread.sleep(5);
        }
        assertThat(accepted).isPositive();
        assertThat(w.stats().lost()).as("every record accepted after the deletion is counted lost").isEqualTo(accepted);
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining(accepted + " accepted record(s) could not be written");
    }

    @Test
    void aRenamedLogIsFollowedToItsNewNameAndStaysOneChain() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Path rotated = dir.resolve("audit.jsonl.1");
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            w.append(AuditFixtures.denial("before"));
            Files.move(file, rotated);
            w.append(AuditFixtures.denial("after-rename"));
            Files.createFile(file); // as logrotate's 'create' does: a new, empty file under the old name
            w.append(AuditFixtures.denial("after-create"));
        }
        assertThat(Files.size(file)).isZero();
        assertIntact(rotated, 3);
    }

    @Test
    void aLogWhoseNameIsRemovedWhileAHardLinkKeepsItGoesOnWritingThere() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Path kept = dir.resolve("kept.jsonl");
        List<String> warnings;
        try (dev.veil.LogCapture log = dev.veil.LogCapture.warnings("dev.veil.audit");
                AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            w.append(AuditFixtures.denial("before"));
            Files.createLink(kept, file);
            Files.delete(file);
            for (int i = 0; i < 5; i++) {
                w.append(AuditFixtures.denial("after-unlink-" + i));
            }
            warnings = log.messages();
        }
        assertIntact(kept, 6);
        assertThat(warnings).as("one warning, not one per batch").singleElement().asString()
                .contains("was renamed (its new name could not be read) while open");
    }

    @Test
    void aRenamedLogThatIsThenDeletedFails() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Path rotated = dir.resolve("audit.jsonl.1");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable());
        w.append(AuditFixtures.denial("before"));
        Files.move(file, rotated);
        w.append(AuditFixtures.denial("after-rename"));
        Files.delete(rotated);

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("unseen")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("the file was deleted while open (" + rotated + " no longer names it; it had "
                        + "been renamed from " + file + ")");
        w.close(); // the request was refused, not lost
    }

    private static void awaitWritten(AuditWriter w, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (w.stats().recordsWritten() < n) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    /** The file verifies, and holds {@code records} records. */
    private static void assertIntact(Path file, int records) {
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(records);
    }
}

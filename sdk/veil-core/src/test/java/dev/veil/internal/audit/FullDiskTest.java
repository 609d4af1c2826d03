package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.GuardFixtures;
import dev.veil.ReasonCode;
import dev.veil.Request;
import dev.veil.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: a 64 KiB tmpfs mounted for the test. Mounting needs root (as in CI and the
 * README's test command); elsewhere the test is skipped and says so.
 */
class FullDiskTest {
    @TempDir
    Path tmp;
    private Path mount;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        mount = SmallTmpfs.mount(tmp, "64k", "the full-disk tests of the audit log are skipped");
    }

    @AfterEach
    void unmount() throws Exception {
        SmallTmpfs.unmount(mount);
    }

    @Test
    void aDurableLogThatFillsTheDiskEndsWithAWholeRecordAndOpensAgain() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        int written = 0;
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            for (int i = 0; i < 10_000; i++) {
                try {
                    w.append(AuditFixtures.fullRelease("r" + i));
                    written++;
                } catch (AuditUnavailableException full) {
                    break;
                }
            }
        } // close() does not throw: the requests it could not write were refused, not lost
        assertThat(written).as("records before the disk filled").isGreaterThan(0).isLessThan(10_000);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).as("every record whose append returned, and no other").isEqualTo(written);
        // once there is room again the log opens and its chain goes on
        Path moved = tmp.resolve("audit.jsonl");
        Files.copy(file, moved);
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(moved).durable())) {
            w.append(AuditFixtures.fullRelease("after"));
        }
        assertThat(AuditLog.verify(moved).records()).isEqualTo(written + 1);
    }

    @Test
    void anAsyncLogThatFillsTheDiskEndsWithAWholeRecord() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(64, java.time.Duration.ofSeconds(5)));
        for (int i = 0; i < 10_000; i++) {
            try {
                w.append(AuditFixtures.fullRelease("r" + i));
            } catch (AuditUnavailableException full) {
                break;
            }
        }
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        // the writer batches what the queue holds, so how many batches fitted before the disk filled
        // varies; what must hold: the disk did fill, and the file has exactly the written records
        assertThat(w.stats().lost()).as("records of the batch that did not fit").isGreaterThan(0);
        assertThat(w.stats().recordsWritten()).as("records the writer counts as written are in the file")
                .isEqualTo(v.records());
    }

    /** Takes all but {@code room} bytes of the small disk with a file of its own. */
    private Path fill(int room) throws IOException {
        Path filler = mount.resolve("filler");
        byte[] block = new byte[1024];
        try (java.io.OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            // the disk is full: give back what the log may use
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(filler,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(Math.max(0, ch.size() - room));
        }
        return filler;
    }

    /** Appends until an append is accepted again, at most 10 seconds; returns the refusals seen. */
    private static int appendOnceAccepted(AuditWriter w, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int refused = 0;
        while (true) {
            try {
                w.append(AuditFixtures.fullRelease(id));
                return refused;
            } catch (AuditUnavailableException stillFailing) {
                refused++;
                assertThat(System.nanoTime()).as("the log did not work again once there was room: " + stillFailing)
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
        }
    }

    /** Appends full records until one is refused (the disk, or the queue just before it, is full); returns those accepted. */
    private static int appendUntilRefused(AuditWriter w) {
        for (int i = 0; i < 10_000; i++) {
            try {
                w.append(AuditFixtures.fullRelease("r" + i));
            } catch (AuditUnavailableException full) {
                return i;
            }
        }
        throw new AssertionError("the disk never filled");
    }

    /** Frees the disk, appends once it is accepted again and 20 more, and closes the log (nothing to report). */
    private static void freeAndGoOn(AuditWriter w, Path filler) throws Exception {
        Files.delete(filler);
        appendOnceAccepted(w, "after");
        for (int i = 0; i < 20; i++) {
            w.append(AuditFixtures.fullRelease("more" + i));
        }
        w.close();
    }

    @Test
    void anAsyncLogHoldsWhatItCannotWriteAndWritesItAllOnceThereIsRoomAgain() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        Path filler = fill(8 * 1024);
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(8, java.time.Duration.ofMillis(200)));
        int accepted = appendUntilRefused(w);
        Thread.sleep(50);
        assertThatThrownBy(() -> w.append(AuditFixtures.fullRelease("refused")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessageContaining("accepts no records until it can; the records it holds are written then");
        assertThat(w.stats().lost()).as("nothing accepted is given up").isZero();
        long inFile = AuditLog.verify(file).records();
        assertThat(inFile).as("records in the file while the disk is full").isLessThan(accepted);

        freeAndGoOn(w, filler);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).as("every accepted record, those held while the disk was full included")
                .isEqualTo(accepted + 1 + 20);
        assertThat(w.stats().lost()).isZero();
        assertThat(w.stats().recordsWritten()).isEqualTo(v.records());
    }

    @Test
    void aDurableLogRefusesWhileTheDiskIsFullAndWorksAgainOnceThereIsRoom() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        Path filler = fill(8 * 1024);
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable());
        int written = appendUntilRefused(w);
        assertThat(written).isGreaterThan(0);
        // refused at the door until the next batch may try, then by that batch: the disk is still full
        for (int i = 0; i < 3; i++) {
            Thread.sleep(30);
            assertThatThrownBy(() -> w.append(AuditFixtures.fullRelease("still-full")))
                    .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("cannot be written");
        }
        assertThat(AuditLog.verify(file).records()).as("no refused request has a record").isEqualTo(written);

        freeAndGoOn(w, filler);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as("the chain goes on from the last record on disk: " + v.message()).isTrue();
        assertThat(v.records()).as("every record whose append returned, and no other").isEqualTo(written + 1 + 20);
    }

    private static final Request<double[]> ASK = Request.of(Credentials.apiKey(GuardFixtures.ALICE.plaintext()),
            new double[] {1, 2, 3});

    /** Asks until an answer is withheld for want of an audit record; returns how many were released. */
    private static int predictUntilRefused(Guard<double[]> g) {
        for (int released = 0; released < 10_000; released++) {
            Response r = g.predict(ASK);
            if (!r.allowed()) {
                assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE);
                return released;
            }
        }
        throw new AssertionError("the disk never filled");
    }

    /** Asks until an answer is released again, at most 10 seconds. */
    private static void awaitAnswer(Guard<double[]> g) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Response r;
        while (!(r = g.predict(ASK)).allowed()) {
            assertThat(((Response.Denied) r).reason().code()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE);
            assertThat(System.nanoTime()).as("the Guard never answered again").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Guard<double[]> guard(GuardFixtures.CountingModel model, AuditLog log) {
        return Guard.builder(model.as(GuardFixtures.INFO_A)).policy(GuardFixtures.bundle(tmp.resolve("bundle")).load())
                .audit(log).clock(java.time.Clock.fixed(GuardFixtures.NOW, java.time.ZoneOffset.UTC)).build();
    }

    @Test
    void aGuardWithholdsAnswersWhileItsAuditDiskIsFullAndAnswersAgainOnceThereIsRoom() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        Path filler = fill(8 * 1024);
        GuardFixtures.quietGuardLog(true);
        Guard<double[]> g = guard(new GuardFixtures.CountingModel(GuardFixtures.SCORES_A),
                AuditLog.jsonLines(file).durable(java.time.Duration.ofSeconds(5)));
        try {
            int released = predictUntilRefused(g);
            assertThat(released).as("answers before the disk filled").isGreaterThan(0);
            Files.delete(filler);
            awaitAnswer(g);
            g.close();
            AuditVerification v = AuditLog.verify(file);
            assertThat(v.ok()).as(v.message()).isTrue();
            assertThat(v.records()).as("one record per released answer, none for a withheld one")
                    .isEqualTo(released + 1);
        } finally {
            g.close();
            GuardFixtures.quietGuardLog(false);
        }
    }

    @Test
    void whileItsAsyncLogWaitsOutAFullDiskAGuardRunsNothingForARequest() throws Exception {
        Path file = mount.resolve("audit.jsonl");
        Path filler = fill(8 * 1024);
        GuardFixtures.quietGuardLog(true);
        GuardFixtures.CountingModel model = new GuardFixtures.CountingModel(GuardFixtures.SCORES_A);
        Guard<double[]> g = guard(model, AuditLog.jsonLines(file).async(8, java.time.Duration.ofMillis(100)));
        try {
            predictUntilRefused(g);
            Thread.sleep(100); // the writer now holds what it could not write and tries again
            long calls = model.calls();
            for (int i = 0; i < 200; i++) {
                Response during = g.predict(ASK);
                assertThat(((Response.Denied) during).reason().code()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE);
            }
            // refused before the access stage (so no quota or rate token either): the model is not asked
            assertThat(model.calls()).as("no model call for an answer that cannot be recorded").isEqualTo(calls);
            Files.delete(filler);
            awaitAnswer(g);
        } finally {
            g.close();
            GuardFixtures.quietGuardLog(false);
        }
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
    }
}

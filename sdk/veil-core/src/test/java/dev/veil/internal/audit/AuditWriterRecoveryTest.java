package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the writers do after a failed write: hold (async) or refuse (durable) and work again once
 * the write succeeds, when the failure may pass and the batch was taken back from the file; stop for
 * good when it was not or cannot pass. The file is a real {@link AuditFile}; the sink in front of it
 * fails on demand as a full disk does (part of the batch written, then an error). FullDiskTest does
 * the same on a real full file system (it needs root).
 */
@Timeout(60)
class AuditWriterRecoveryTest {
    @TempDir
    Path dir;

    /** How the next writes fail. */
    enum Fault { NONE, FULL, DELETED, FULL_AND_CANNOT_CUT }

    /** A real audit file behind a switch that makes writes fail part-way. */
    static final class Switched implements Sink {
        final AuditFile file;
        volatile Fault fault = Fault.NONE;
        final java.util.concurrent.atomic.AtomicInteger failedWrites = new java.util.concurrent.atomic.AtomicInteger();
        private boolean cannotCut;

        Switched(AuditFile file) {
            this.file = file;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Fault f = fault;
            if (f == Fault.NONE) {
                file.write(b, off, len);
                return;
            }
            file.write(b, off, len / 2); // part of the batch reaches the file, as on a full disk
            cannotCut = f == Fault.FULL_AND_CANNOT_CUT;
            failedWrites.incrementAndGet();
            throw f == Fault.DELETED ? new Sink.Unrecoverable("the file was deleted while open")
                    : new IOException("No space left on device");
        }

        @Override
        public void flush() throws IOException {
            file.flush();
        }

        @Override
        public void force() throws IOException {
            file.force();
        }

        @Override
        public boolean abandonLastWrite() {
            return !cannotCut && file.abandonLastWrite();
        }

        @Override
        public String name() {
            return "switched";
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    private Switched sink() {
        return new Switched(AuditFile.open(dir.resolve("audit.jsonl")));
    }

    /**
     * The decision ids in the file. A writer that retries a held batch writes part of it and cuts it
     * back at every try, so a read can land between the two: it is read again until it ends a line.
     */
    private List<String> ids() throws IOException, InterruptedException {
        byte[] bytes = Files.readAllBytes(dir.resolve("audit.jsonl"));
        for (int tries = 0; bytes.length > 0 && bytes[bytes.length - 1] != '\n' && tries < 1000; tries++) {
            Thread.sleep(1);
            bytes = Files.readAllBytes(dir.resolve("audit.jsonl"));
        }
        List<String> ids = new ArrayList<>();
        for (String line : AuditFixtures.lines(bytes)) {
            ids.add(AuditFixtures.parse(line).get("decision_id").asText());
        }
        return ids;
    }

    private AuditVerification verify() {
        return AuditLog.verify(dir.resolve("audit.jsonl"));
    }

    /**
     * Waits until the sink has failed {@code n} writes: from the second on they are the async
     * writer's tries of a batch it holds, so it refuses appends by then.
     */
    private static void waitForFailedWrites(Switched s, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s.failedWrites.get() < n) {
            assertThat(System.nanoTime()).as("the writer never met the fault").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    private static AuditUnavailableException refusal(AuditWriter w) {
        try {
            w.append(AuditFixtures.denial("refused"));
        } catch (AuditUnavailableException e) {
            return e;
        }
        throw new AssertionError("accepted while the writer fails");
    }

    /** Appends {@code id} until accepted, at most 10 seconds. */
    private static void appendOnceAccepted(AuditWriter w, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                w.append(AuditFixtures.denial(id));
                return;
            } catch (AuditUnavailableException e) {
                assertThat(System.nanoTime()).as("never accepted again: " + e).isLessThan(deadline);
                Thread.sleep(5);
            }
        }
    }

    @Test
    void anAsyncWriterHoldsWhatItCannotWriteAndWritesItInOrderOnceItCan() throws Exception {
        Switched s = sink();
        AsyncAuditWriter w = new AsyncAuditWriter(s, s.file.lastHash(), 1, Duration.ZERO);
        w.append(AuditFixtures.denial("r0"));
        appendOnceAccepted(w, "r1"); // once r0 has left the queue
        while (w.stats().recordsWritten() < 2) {
            Thread.sleep(5);
        }
        s.fault = Fault.FULL;
        w.append(AuditFixtures.denial("r2"));
        waitForFailedWrites(s, 2);
        AuditUnavailableException e = refusal(w);
        assertThat(e).hasMessage("audit log switched cannot be written (java.io.IOException: No space left on "
                + "device) and accepts no records until it can; the records it holds are written then");
        assertThat(ids()).as("the partial batch was cut back").containsExactly("r0", "r1");
        assertThat(verify().ok()).isTrue();
        Thread.sleep(50); // several more tries fail meanwhile
        assertThat(w.stats().lost()).isZero();

        s.fault = Fault.NONE;
        appendOnceAccepted(w, "r3");
        w.close();
        assertThat(ids()).containsExactly("r0", "r1", "r2", "r3");
        assertThat(verify().ok()).as(verify().message()).isTrue();
        assertThat(w.stats().lost()).isZero();
    }

    /** An async writer on {@code s} that holds record r0 through a full disk and tries again. */
    private static AsyncAuditWriter holdingOneRecord(Switched s) throws InterruptedException {
        AsyncAuditWriter w = new AsyncAuditWriter(s, s.file.lastHash(), 4, Duration.ZERO);
        s.fault = Fault.FULL;
        w.append(AuditFixtures.denial("r0"));
        waitForFailedWrites(s, 2);
        return w;
    }

    @Test
    void anAsyncWriterClosedWhileItCannotWriteCountsWhatItHeldAsLost() throws Exception {
        Switched s = sink();
        AsyncAuditWriter w = holdingOneRecord(s);
        refusal(w);
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class)
                .hasMessageStartingWith("audit log switched failed; 1 accepted record(s) could not be written");
        assertThat(w.stats().lost()).isEqualTo(1);
        assertThat(ids()).isEmpty();
    }

    @Test
    void anAsyncWriterStopsForGoodWhenTheFileIsGoneOrTheBatchCannotBeTakenBack() throws Exception {
        for (Fault fault : List.of(Fault.DELETED, Fault.FULL_AND_CANNOT_CUT)) {
            Files.deleteIfExists(dir.resolve("audit.jsonl"));
            Switched s = sink();
            AsyncAuditWriter w = new AsyncAuditWriter(s, s.file.lastHash(), 4, Duration.ZERO);
            s.fault = fault;
            w.append(AuditFixtures.denial("r0"));
            waitForFailedWrites(s, 1);
            Thread.sleep(50); // no second try comes
            assertThat(s.failedWrites.get()).as(fault.name()).isEqualTo(1);
            AuditUnavailableException e = refusal(w);
            assertThat(e).as(fault.name()).hasMessageContaining("failed and accepts no records");
            s.fault = Fault.NONE;
            Thread.sleep(50);
            assertThatThrownBy(() -> w.append(AuditFixtures.denial("r1"))).as(fault.name())
                    .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("failed and accepts no records");
            assertThat(w.stats().lost()).as(fault.name()).isEqualTo(1);
            assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class);
        }
    }

    @Test
    void anAsyncWriterWhoseOutageTurnsIntoAFailureForGoodStopsPromisingRecovery() throws Exception {
        Switched s = sink();
        AsyncAuditWriter w = holdingOneRecord(s);
        assertThat(refusal(w)).hasMessageContaining("accepts no records until it can");
        s.fault = Fault.DELETED; // the next try finds the file gone
        waitForFailedWrites(s, s.failedWrites.get() + 1);
        Thread.sleep(20);
        assertThat(refusal(w)).hasMessageContaining("failed and accepts no records").hasMessageNotContaining("until it "
                + "can");
        assertThat(w.stats().lost()).isEqualTo(1);
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class);
    }

    @Test
    void aDurableWriterRefusesTheFailedBatchAndGoesOnFromTheLastRecordInTheFile() throws Exception {
        Switched s = sink();
        DurableAuditWriter w = new DurableAuditWriter(s, s.file.lastHash(), Duration.ofSeconds(5));
        w.append(AuditFixtures.denial("r0"));
        s.fault = Fault.FULL;
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r1"))).isInstanceOf(AuditUnavailableException.class)
                .hasMessageStartingWith("audit log switched cannot be written (java.io.IOException: No space left on "
                        + "device) and accepts no records until it can: the next batch tries within ");
        assertThat(ids()).containsExactly("r0");
        Thread.sleep(30);
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r2"))).as("a batch tries and fails again")
                .isInstanceOf(AuditUnavailableException.class);

        s.fault = Fault.NONE;
        appendOnceAccepted(w, "r3");
        w.append(AuditFixtures.denial("r4"));
        w.close();
        assertThat(ids()).containsExactly("r0", "r3", "r4");
        assertThat(verify().ok()).as("r3 follows r0 in the chain: " + verify().message()).isTrue();
        assertThat(w.stats().rejected()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aDurableWriterStopsForGoodWhenTheFileIsGoneOrTheBatchCannotBeTakenBack() throws Exception {
        for (Fault fault : List.of(Fault.DELETED, Fault.FULL_AND_CANNOT_CUT)) {
            Files.deleteIfExists(dir.resolve("audit.jsonl"));
            Switched s = sink();
            DurableAuditWriter w = new DurableAuditWriter(s, s.file.lastHash(), Duration.ofSeconds(5));
            s.fault = fault;
            assertThatThrownBy(() -> w.append(AuditFixtures.denial("r0"))).as(fault.name())
                    .isInstanceOf(AuditUnavailableException.class);
            s.fault = Fault.NONE;
            Thread.sleep(1200); // longer than the longest wait between tries
            assertThatThrownBy(() -> w.append(AuditFixtures.denial("r1"))).as(fault.name())
                    .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("failed and accepts no records");
            w.close(); // both requests were refused, no accepted record lost: nothing to report
        }
    }

    /** Log lines of the audit writers while {@code body} runs. */
    private static List<String> logged(ThrowingRunnable body) throws Exception {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("dev.veil.audit");
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        boolean parents = logger.getUseParentHandlers();
        logger.addHandler(h);
        logger.setUseParentHandlers(false);
        try {
            body.run();
        } finally {
            logger.removeHandler(h);
            logger.setUseParentHandlers(parents);
        }
        return lines;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aDiskThatFlapsIsLoggedOnceAMinuteNotOnceAnOutage() throws Exception {
        Switched s = sink();
        AsyncAuditWriter async = new AsyncAuditWriter(s, s.file.lastHash(), 4, Duration.ZERO);
        List<String> asyncLines = logged(() -> {
            for (int cycle = 0; cycle < 5; cycle++) {
                int failedBefore = s.failedWrites.get();
                s.fault = Fault.FULL;
                async.append(AuditFixtures.denial("a" + cycle));
                waitForFailedWrites(s, failedBefore + 2);
                s.fault = Fault.NONE;
                appendOnceAccepted(async, "b" + cycle);
            }
            async.close();
        });
        assertOneOutageLogged(asyncLines);
        assertThat(ids()).hasSize(10);

        Files.delete(dir.resolve("audit.jsonl"));
        Switched d = sink();
        DurableAuditWriter durable = new DurableAuditWriter(d, d.file.lastHash(), Duration.ofSeconds(5));
        List<String> durableLines = logged(() -> {
            for (int cycle = 0; cycle < 5; cycle++) {
                d.fault = Fault.FULL;
                assertThatThrownBy(() -> durable.append(AuditFixtures.denial("refused")))
                        .isInstanceOf(AuditUnavailableException.class);
                d.fault = Fault.NONE;
                appendOnceAccepted(durable, "c" + cycle);
            }
            durable.close();
        });
        assertOneOutageLogged(durableLines);
        assertThat(ids()).hasSize(5);
    }

    private static void assertOneOutageLogged(List<String> lines) {
        assertThat(lines.stream().filter(l -> l.contains("cannot write"))).as("starts").hasSize(1);
        assertThat(lines.stream().filter(l -> l.contains("writing again"))).as("ends").hasSize(1);
    }

    @Test
    void anOutageNotLoggedWhenItBeganIsLoggedWithItsCauseOnceItHasLastedTheInterval() throws Exception {
        Switched s = sink();
        AsyncAuditWriter w = new AsyncAuditWriter(s, s.file.lastHash(), 4, Duration.ZERO);
        w.outageLogInterval(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300));
        List<String> lines = logged(() -> {
            s.fault = Fault.FULL;
            w.append(AuditFixtures.denial("a"));
            waitForFailedWrites(s, 2);
            s.fault = Fault.NONE;
            appendOnceAccepted(w, "b"); // a short outage, logged: it began first
            int failed = s.failedWrites.get();
            s.fault = Fault.FULL;
            w.append(AuditFixtures.denial("c")); // a second one at once: not logged when it begins
            waitForFailedWrites(s, failed + 2);
            assertThat(w.refusal()).as("the refusal says why").hasMessageContaining("No space left on device");
            Thread.sleep(1_000); // it lasts
            s.fault = Fault.NONE;
            appendOnceAccepted(w, "d");
            w.close();
        });
        assertThat(lines.stream().filter(l -> l.contains("cannot write (java.io.IOException: No space left"))).hasSize(1);
        assertThat(lines.stream().filter(l -> l.contains("cannot write for a minute (java.io.IOException: No space "
                + "left"))).hasSize(1);
        assertThat(lines.stream().filter(l -> l.contains("writing again"))).hasSize(2);
        assertThat(w.refusal()).hasMessageContaining("is closed");
        assertThat(ids()).containsExactly("a", "b", "c", "d");
    }
}

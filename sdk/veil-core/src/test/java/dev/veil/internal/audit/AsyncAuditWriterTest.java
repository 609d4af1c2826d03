package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class AsyncAuditWriterTest {

    @TempDir
    Path dir;

    /** A real output stream whose writes block until its gate opens, like a stalled disk or pipe. */
    static final class GatedStream extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            entered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
            synchronized (out) {
                out.write(b, off, len);
            }
        }

        byte[] bytes() {
            synchronized (out) {
                return out.toByteArray();
            }
        }
    }

    /** A real output stream over a full device. */
    static final class FullDiskStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            throw new IOException("No space left on device");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException("No space left on device");
        }
    }

    private static List<String> ids(byte[] log) {
        List<String> ids = new ArrayList<>();
        for (String line : AuditFixtures.lines(log)) {
            ids.add(AuditFixtures.parse(line).get("decision_id").asText());
        }
        return ids;
    }

    @Test
    void shouldWriteExactlyOneLinePerAppendFromManyThreadsAndKeepTheChain() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(64, Duration.ofSeconds(10)));
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int t = 0; t < 8; t++) {
            int tt = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    w.append(AuditFixtures.denial("t" + tt + "-" + i));
                }
            });
            th.setUncaughtExceptionHandler((x, e) -> error.set(e));
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        w.close();

        assertThat(error.get()).isNull();
        List<String> ids = ids(Files.readAllBytes(file));
        assertThat(ids).hasSize(4000).doesNotHaveDuplicates();
        for (int t = 0; t < 8; t++) { // each thread's records keep their order
            String prefix = "t" + t + "-";
            List<String> mine = ids.stream().filter(s -> s.startsWith(prefix)).toList();
            assertThat(mine).hasSize(500);
            for (int i = 0; i < 500; i++) {
                assertThat(mine.get(i)).isEqualTo(prefix + i);
            }
        }
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(4000);
        AuditStats s = w.stats();
        assertThat(s.recordsWritten()).isEqualTo(4000);
        assertThat(s.maxQueueDepth()).isBetween(1, 64);
        assertThat(s.rejected()).isZero();
        assertThat(s.lost()).isZero();
        assertThat(s.batches()).isBetween(1L, 4000L);
    }

    @Test
    void shouldRefuseAfterMaxWaitWhenTheWriterIsStalledAndDropNothingOnceItResumes() throws Exception {
        GatedStream stream = new GatedStream();
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(stream, "gated"), AuditSerializer.ZERO_HASH, 4,
                Duration.ofMillis(200));
        w.append(AuditFixtures.denial("r0"));
        assertThat(stream.entered.await(10, TimeUnit.SECONDS)).isTrue(); // the writer holds r0, blocked
        for (int i = 1; i <= 4; i++) {
            w.append(AuditFixtures.denial("r" + i)); // fills the queue
        }

        long start = System.nanoTime();
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r5")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log gated: queue full (4 records) for 200 ms: the writer cannot keep up or is"
                        + " stalled; raise the queue capacity or maxWait, or check the disk");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(w.stats().producerWaits()).isEqualTo(1);
        assertThat(w.stats().rejected()).isEqualTo(1);
        assertThat(w.stats().maxQueueDepth()).isEqualTo(4);
        assertThat(w.stats().recordsWritten()).isZero();

        stream.gate.countDown();
        w.close();

        assertThat(ids(stream.bytes())).containsExactly("r0", "r1", "r2", "r3", "r4");
        assertThat(AuditFixtures.verify(stream.bytes()).ok()).isTrue();
        assertThat(w.stats().recordsWritten()).isEqualTo(5);
    }

    @Test
    void shouldBlockAProducerUntilTheStalledWriterResumesAndThenAcceptItsRecord() throws Exception {
        GatedStream stream = new GatedStream();
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(stream, "gated"), AuditSerializer.ZERO_HASH, 2,
                Duration.ofSeconds(30));
        w.append(AuditFixtures.denial("r0"));
        assertThat(stream.entered.await(10, TimeUnit.SECONDS)).isTrue();
        w.append(AuditFixtures.denial("r1"));
        w.append(AuditFixtures.denial("r2"));
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread producer = new Thread(() -> w.append(AuditFixtures.denial("r3")));
        producer.setUncaughtExceptionHandler((x, e) -> error.set(e));
        producer.start();
        while (producer.getState() != Thread.State.TIMED_WAITING) { // waiting for queue space
            assertThat(producer.isAlive()).isTrue();
            Thread.sleep(5);
        }
        assertThat(w.stats().producerWaits()).isEqualTo(1);

        stream.gate.countDown();
        producer.join();
        w.close();

        assertThat(error.get()).isNull();
        assertThat(ids(stream.bytes())).containsExactly("r0", "r1", "r2", "r3");
        assertThat(AuditFixtures.verify(stream.bytes()).ok()).isTrue();
    }

    @Test
    void shouldRefuseAtOnceWhenMaxWaitIsZeroAndTheQueueIsFull() throws Exception {
        GatedStream stream = new GatedStream();
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(stream, "gated"), AuditSerializer.ZERO_HASH, 1,
                Duration.ZERO);
        w.append(AuditFixtures.denial("r0"));
        assertThat(stream.entered.await(10, TimeUnit.SECONDS)).isTrue();
        w.append(AuditFixtures.denial("r1"));

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r2")))
                .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("queue full (1 records) for 0 ms");

        stream.gate.countDown();
        w.close();
        assertThat(ids(stream.bytes())).containsExactly("r0", "r1");
    }

    @Test
    void shouldDrainEveryQueuedRecordOnClose() throws Exception {
        GatedStream stream = new GatedStream();
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(stream, "gated"), AuditSerializer.ZERO_HASH, 100,
                Duration.ofSeconds(1));
        for (int i = 0; i < 50; i++) {
            w.append(AuditFixtures.denial("r" + i));
        }
        Thread closer = new Thread(w::close);
        closer.start();
        stream.gate.countDown();
        closer.join();

        assertThat(ids(stream.bytes())).hasSize(50).startsWith("r0").endsWith("r49");
        assertThat(AuditFixtures.verify(stream.bytes()).ok()).isTrue();
    }

    @Test
    void shouldWriteExactlyTheAcceptedRecordsWhenCloseRacesWithAppends() throws Exception {
        // Invariant: an append either returns, and its record is in the file, or throws; never both,
        // never neither.
        for (int round = 0; round < 5; round++) {
            Path file = dir.resolve("race-" + round + ".jsonl");
            AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).async(8, Duration.ofMillis(50)));
            List<String> accepted = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int tt = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; ; i++) {
                        String id = "t" + tt + "-" + i;
                        try {
                            w.append(AuditFixtures.denial(id));
                            accepted.add(id);
                        } catch (AuditUnavailableException e) {
                            if (e.getMessage().endsWith("is closed")) {
                                return;
                            }
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            Thread.sleep(20);
            w.close();
            for (Thread th : threads) {
                th.join();
            }

            assertThat(ids(Files.readAllBytes(file))).containsExactlyInAnyOrderElementsOf(accepted);
            assertThat(AuditLog.verify(file).ok()).isTrue();
        }
    }

    @Test
    void shouldRefuseAppendsAfterClose() {
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(new ByteArrayOutputStream(), "mem"),
                AuditSerializer.ZERO_HASH, 4, Duration.ofMillis(10));
        w.close();
        w.close(); // idempotent

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("late")))
                .isInstanceOf(AuditUnavailableException.class).hasMessage("audit log mem is closed");
        assertThat(w.stats().rejected()).isEqualTo(1);
    }

    @Test
    void shouldRefuseEveryAppendAndReportLostRecordsWhenTheDiskFails() throws Exception {
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(new FullDiskStream(), "full"), AuditSerializer.ZERO_HASH,
                4, Duration.ofMillis(10));
        w.append(AuditFixtures.denial("r0"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (w.stats().lost() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(w.stats().lost()).isEqualTo(1);

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r1")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log full failed and accepts no records: java.io.IOException: No space left on device");
        assertThatThrownBy(w::close).isInstanceOf(AuditUnavailableException.class)
                .hasMessageStartingWith("audit log full failed; 1 accepted record(s) could not be written");
    }

    @Test
    void shouldRejectAQueueCapacityBelowOne() {
        Sink sink = Sink.of(new ByteArrayOutputStream(), "mem");
        assertThatThrownBy(() -> new AsyncAuditWriter(sink, AuditSerializer.ZERO_HASH, 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("queueCapacity must be >= 1, was 0");
    }

    @Test
    void shouldRejectANegativeMaxWait() {
        Sink sink = Sink.of(new ByteArrayOutputStream(), "mem");
        assertThatThrownBy(() -> new AsyncAuditWriter(sink, AuditSerializer.ZERO_HASH, 1, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("maxWait must be >= 0, was PT-0.001S");
    }

    @Test
    void shouldRejectAMalformedPreviousHash() {
        Sink sink = Sink.of(new ByteArrayOutputStream(), "mem");
        assertThatThrownBy(() -> new AsyncAuditWriter(sink, "abc", 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prevHash must be 64 lowercase hex digits, was abc");
    }

    /** Polls the writer's counter until it reaches {@code n}; returns how long that took. */
    private static Duration awaitWritten(AuditWriter w, long n, Duration limit) throws InterruptedException {
        long start = System.nanoTime();
        while (w.stats().recordsWritten() < n) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("waiting for record " + n).isLessThan(limit);
            Thread.sleep(1);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void shouldWakeASleepingWriterForTheNextRecordInsteadOfWaitingForItsTimeout() throws Exception {
        // forced with every batch (an interval of 0): a writer never sleeps with records not forced
        AuditLimits forceEveryBatch = new AuditLimits(1 << 20, 1 << 20, ByteSink.MAX_LIMIT, 0);
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(new ByteArrayOutputStream(), "mem"),
                AuditSerializer.ZERO_HASH, 16, Duration.ofSeconds(1), forceEveryBatch, System::nanoTime);
        w.append(AuditFixtures.denial("r0"));
        awaitWritten(w, 1, Duration.ofSeconds(10));
        // Idle long enough for every nap to pass: the writer now sleeps until an append wakes it.
        Thread.sleep(AsyncAuditWriter.NAP_MILLIS * AsyncAuditWriter.NAPS_BEFORE_SLEEP * 3);
        for (int i = 1; i <= 3; i++) {
            w.append(AuditFixtures.denial("r" + i));
            // well below the 1 s bound of a sleep: the append woke the writer
            assertThat(awaitWritten(w, i + 1, Duration.ofSeconds(10))).isLessThan(Duration.ofMillis(700));
            Thread.sleep(AsyncAuditWriter.NAP_MILLIS * AsyncAuditWriter.NAPS_BEFORE_SLEEP * 3);
        }
        w.close();
        assertThat(w.stats().recordsWritten()).isEqualTo(4);
    }

    @Test
    void shouldKeepWritingAfterTheWriterThreadIsInterrupted() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AsyncAuditWriter w = new AsyncAuditWriter(Sink.of(out, "mem"), AuditSerializer.ZERO_HASH, 16,
                Duration.ofSeconds(1));
        w.append(AuditFixtures.denial("r0"));
        awaitWritten(w, 1, Duration.ofSeconds(10));
        w.writerThread().interrupt();
        Thread.sleep(20);
        w.append(AuditFixtures.denial("r1"));
        awaitWritten(w, 2, Duration.ofSeconds(10));
        w.close();

        assertThat(ids(out.toByteArray())).containsExactly("r0", "r1");
        assertThat(AuditFixtures.verify(out.toByteArray()).ok()).isTrue();
    }

    /** A record of about {@code features} x 25 bytes by its estimate, all of it kept. */
    static AuditRecord large(String id, int features) {
        double[] v = new double[features];
        java.util.Arrays.fill(v, 12.125);
        return AuditRecord.builder(id, AuditFixtures.T0).bundle("b", "1").caller(dev.veil.Caller.ANONYMOUS)
                .model("m", "1").features(dev.veil.Features.of(v)).logging(AuditFixtures.KEEP_ALL)
                .denied(List.of(dev.veil.Reason.of(dev.veil.ReasonCode.INTERNAL_ERROR, dev.veil.Stage.MODEL, "", "x")))
                .build();
    }

    @Test
    void shouldBoundTheRecordsWaitingInBytesAsInNumberAndRefuseAfterMaxWaitNeverDrop() throws Exception {
        RecordingSink sink = new RecordingSink(true);
        long each = AuditFixtures.denial("r0").estimatedBytes();
        AuditLimits limits = new AuditLimits(1 << 20, 3 * each, ByteSink.MAX_LIMIT, Long.MAX_VALUE);
        AsyncAuditWriter w = new AsyncAuditWriter(sink, AuditSerializer.ZERO_HASH, 100, Duration.ofMillis(200),
                limits, System::nanoTime);
        w.append(AuditFixtures.denial("r0"));
        assertThat(sink.firstWriteEntered.await(10, TimeUnit.SECONDS)).isTrue(); // r0 taken, not written
        w.append(AuditFixtures.denial("r1"));
        w.append(AuditFixtures.denial("r2")); // r0 to r2 take the 3 x each bytes: 3 of the 100 places

        long start = System.nanoTime();
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r3")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log recording: queue full (the records waiting to be written take about " + 3 * each
                        + " bytes, the most it holds) for 200 ms: the writer cannot keep up with records this large or"
                        + " is stalled; raise maxWait, record large inputs as digests or not at all (the policy's"
                        + " logging section, input: digest or mask), or check the disk");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(w.stats().rejected()).isEqualTo(1);

        sink.gate.countDown(); // once written, their room is free again
        w.append(AuditFixtures.denial("r4"));
        w.close();
        assertThat(ids(sink.bytes())).containsExactly("r0", "r1", "r2", "r4");
        assertThat(AuditFixtures.verify(sink.bytes()).ok()).isTrue();
    }

    @Test
    void shouldAcceptARecordBiggerThanTheByteBoundWhenNoneWaitsAndHoldTheNextUntilItIsWritten() throws Exception {
        RecordingSink sink = new RecordingSink(true);
        AuditLimits limits = new AuditLimits(1 << 20, 4096, ByteSink.MAX_LIMIT, Long.MAX_VALUE);
        AsyncAuditWriter w = new AsyncAuditWriter(sink, AuditSerializer.ZERO_HASH, 100, Duration.ofSeconds(30),
                limits, System::nanoTime);
        w.append(large("big", 1000)); // 25 KB by its estimate, alone
        assertThat(sink.firstWriteEntered.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicReference<Throwable> error = new AtomicReference<>();
        Thread producer = new Thread(() -> w.append(AuditFixtures.denial("small")));
        producer.setUncaughtExceptionHandler((x, e) -> error.set(e));
        producer.start();
        while (producer.getState() != Thread.State.TIMED_WAITING) { // waiting for room
            assertThat(producer.isAlive()).isTrue();
            Thread.sleep(5);
        }
        assertThat(w.stats().producerWaits()).isEqualTo(1);
        sink.gate.countDown();
        producer.join();
        w.close();
        assertThat(error.get()).isNull();
        assertThat(ids(sink.bytes())).containsExactly("big", "small");
    }

    @Test
    void shouldWriteABatchInPiecesOfAtMostTheBoundAndARecordBiggerThanItAlone() throws Exception {
        RecordingSink sink = new RecordingSink(true);
        int bound = 8192;
        AuditLimits limits = new AuditLimits(bound, Long.MAX_VALUE, ByteSink.MAX_LIMIT, Long.MAX_VALUE);
        AsyncAuditWriter w = new AsyncAuditWriter(sink, AuditSerializer.ZERO_HASH, 100, Duration.ofSeconds(30),
                limits, System::nanoTime);
        w.append(AuditFixtures.denial("first"));
        assertThat(sink.firstWriteEntered.await(10, TimeUnit.SECONDS)).isTrue(); // the rest gathers behind it
        List<String> expected = new ArrayList<>(List.of("first"));
        for (int i = 0; i < 30; i++) {
            String id = "r" + i;
            w.append(i == 12 ? large(id, 2000) : AuditFixtures.denial(id)); // one of 50 KB among records of 2 KB
            expected.add(id);
        }
        sink.gate.countDown();
        w.close();

        assertThat(ids(sink.bytes())).containsExactlyElementsOf(expected);
        assertThat(AuditFixtures.verify(sink.bytes()).ok()).isTrue();
        List<byte[]> writes = sink.writes();
        assertThat(writes.size()).isGreaterThan(3); // not one write of everything that gathered
        for (byte[] write : writes) {
            List<String> lines = AuditFixtures.lines(write);
            if (lines.size() > 1) {
                assertThat(write.length).as("a write of %d records", lines.size()).isLessThanOrEqualTo(bound);
            }
        }
        assertThat(writes).anySatisfy(write -> assertThat(ids(write)).containsExactly("r12"));
    }

    @Test
    void shouldForceTheFileAfterABatchOnlyOnceTheIntervalHasPassedSinceTheLastForce() throws Exception {
        RecordingSink sink = new RecordingSink(false);
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
        AuditLimits limits = new AuditLimits(1 << 20, 1 << 20, ByteSink.MAX_LIMIT, 1_000_000_000L);
        AsyncAuditWriter w = new AsyncAuditWriter(sink, AuditSerializer.ZERO_HASH, 100, Duration.ofSeconds(30),
                limits, now::get);
        w.append(AuditFixtures.denial("r0"));
        awaitWritten(w, 1, Duration.ofSeconds(10));
        Thread.sleep(150); // the writer looks at each nap, and does not sleep: still within the second
        assertThat(sink.forces.get()).isZero();

        now.addAndGet(999_000_000L);
        w.append(AuditFixtures.denial("r1"));
        awaitWritten(w, 2, Duration.ofSeconds(10));
        Thread.sleep(50);
        assertThat(sink.forces.get()).isZero();

        now.addAndGet(1_000_000L); // a second since the writer started: the next look forces
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sink.forces.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(sink.forces.get()).isEqualTo(1);
        Thread.sleep(50);
        assertThat(sink.forces.get()).as("nothing written since: no force").isEqualTo(1);

        now.addAndGet(2_000_000_000L);
        w.append(AuditFixtures.denial("r2")); // forced with its batch, or at the next look
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (sink.forces.get() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(sink.forces.get()).isEqualTo(2);
        w.close();
        assertThat(sink.forces.get()).isEqualTo(3); // and once at close
    }
}

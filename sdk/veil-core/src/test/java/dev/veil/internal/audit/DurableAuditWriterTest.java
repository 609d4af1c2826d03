package dev.veil.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuditLog;
import dev.veil.AuditVerification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class DurableAuditWriterTest {

    @TempDir
    Path dir;

    /** A real output stream whose device sync (flush) fails, as when a disk is lost. */
    static final class LostDeviceStream extends OutputStream {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            written.write(b);
        }

        @Override
        public void flush() throws IOException {
            throw new IOException("Input/output error");
        }
    }

    private static String lastLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    @Test
    void shouldHaveTheLineInTheFileWhenAppendReturns() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable())) {
            for (int i = 0; i < 20; i++) {
                w.append(AuditFixtures.denial("d" + i));

                assertThat(Files.readAllLines(file)).hasSize(i + 1);
                assertThat(AuditFixtures.parse(lastLine(file)).get("decision_id").asText()).isEqualTo("d" + i);
            }
            assertThat(w.stats().recordsWritten()).isEqualTo(20);
            assertThat(w.stats().batches()).isEqualTo(20);
        }
        assertThat(AuditLog.verify(file).records()).isEqualTo(20);
    }

    @Test
    void shouldGroupConcurrentAppendsAndWriteExactlyOneLineEach() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable());
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int t = 0; t < 8; t++) {
            int tt = t;
            Thread th = new Thread(() -> {
                for (int i = 0; i < 500; i++) {
                    String id = "t" + tt + "-" + i;
                    w.append(AuditFixtures.denial(id));
                    if (i % 100 == 99) { // durable: it is in the file already
                        try {
                            assertThat(Files.readString(file)).contains("\"decision_id\":\"" + id + "\"");
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }
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
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(4000);
        assertThat(lines.stream().map(l -> AuditFixtures.parse(l).get("decision_id").asText()).distinct()).hasSize(4000);
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(v.records()).isEqualTo(4000);
        AuditStats s = w.stats();
        assertThat(s.recordsWritten()).isEqualTo(4000);
        assertThat(s.batches()).isBetween(1L, 4000L);
        assertThat(s.maxQueueDepth()).isBetween(1, 8);
        assertThat(s.rejected()).isZero();
    }

    /** A real output stream whose device sync (flush) blocks until its gate opens, like a slow disk. */
    static final class SlowSyncStream extends OutputStream {
        final CountDownLatch syncing = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            written.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            written.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            syncing.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        synchronized byte[] bytes() {
            return written.toByteArray();
        }
    }

    @Test
    void shouldCommitAppendsThatArriveDuringASyncAsOneBatchAndReturnNoneBeforeItsSync() throws Exception {
        SlowSyncStream stream = new SlowSyncStream();
        DurableAuditWriter w = new DurableAuditWriter(Sink.of(stream, "slow"), AuditSerializer.ZERO_HASH, AuditLog.MAX_MAX_WAIT);
        List<Thread> appenders = new ArrayList<>();
        List<String> returned = Collections.synchronizedList(new ArrayList<>());
        Thread first = new Thread(() -> {
            w.append(AuditFixtures.denial("r0"));
            returned.add("r0");
        });
        first.start();
        assertThat(stream.syncing.await(10, TimeUnit.SECONDS)).isTrue(); // r0 written, its sync stalled
        for (int i = 1; i <= 5; i++) {
            String id = "r" + i;
            Thread t = new Thread(() -> {
                w.append(AuditFixtures.denial(id));
                returned.add(id);
            });
            appenders.add(t);
            t.start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (w.stats().maxQueueDepth() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(w.stats().maxQueueDepth()).isEqualTo(5);
        assertThat(w.stats().producerWaits()).isEqualTo(5);
        assertThat(returned).isEmpty(); // nobody returns before the sync of their record

        stream.gate.countDown();
        first.join();
        for (Thread t : appenders) {
            t.join();
        }
        w.close();

        assertThat(returned).containsExactlyInAnyOrder("r0", "r1", "r2", "r3", "r4", "r5");
        assertThat(w.stats().batches()).isEqualTo(2);
        assertThat(w.stats().recordsWritten()).isEqualTo(6);
        assertThat(AuditFixtures.lines(stream.bytes())).hasSize(6);
        assertThat(AuditFixtures.verify(stream.bytes()).ok()).isTrue();
    }

    /** A disk that stalls: the first write blocks until released. */
    private static final class StalledStream extends OutputStream {
        final CountDownLatch writing = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writing.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            synchronized (this) {
                out.write(b, off, len);
            }
        }
    }

    @Test
    void aRecordStillWaitingBehindAStalledWriteIsTakenBackAfterMaxWait() throws Exception {
        StalledStream disk = new StalledStream();
        DurableAuditWriter w = new DurableAuditWriter(Sink.of(disk, "frozen"), AuditSerializer.ZERO_HASH,
                java.time.Duration.ofMillis(100));
        Thread first = new Thread(() -> w.append(AuditFixtures.denial("in-the-batch")));
        first.start();
        assertThat(disk.writing.await(10, TimeUnit.SECONDS)).isTrue();

        long t0 = System.nanoTime();
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("behind-it")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log frozen: the record waited 100 ms behind a write that has not finished (a slow "
                        + "or stalled disk) and was taken back");
        assertThat(System.nanoTime() - t0).isBetween(TimeUnit.MILLISECONDS.toNanos(90), TimeUnit.SECONDS.toNanos(5));
        first.join(200);
        assertThat(first.isAlive()).as("a record whose batch has begun waits for it").isTrue();

        disk.release.countDown();
        first.join(10_000);
        assertThat(first.isAlive()).isFalse();
        w.append(AuditFixtures.denial("after"));
        w.close();
        assertThat(AuditFixtures.lines(disk.out.toByteArray())).hasSize(2)
                .allMatch(l -> !l.contains("behind-it"));
        assertThat(AuditFixtures.verify(disk.out.toByteArray()).ok()).isTrue();
        assertThat(w.stats().rejected()).isEqualTo(1);
    }

    @Test
    void durableMaxWaitIsBounded() {
        AuditLog log = AuditLog.jsonLines(Path.of("a.jsonl"));
        assertThat(log.durable().maxWait()).isEqualTo(AuditLog.MAX_MAX_WAIT);
        assertThat(log.durable(java.time.Duration.ofSeconds(2)).toString())
                .isEqualTo("AuditLog[a.jsonl, durable, maxWait=PT2S]");
        assertThatThrownBy(() -> log.durable(java.time.Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxWait must be in [1 ms, PT1M], was PT0S");
        assertThatThrownBy(() -> log.durable(java.time.Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRefuseTheBatchAndEveryLaterAppendWhenTheDeviceSyncFails() {
        DurableAuditWriter w = new DurableAuditWriter(Sink.of(new LostDeviceStream(), "lost"),
                AuditSerializer.ZERO_HASH, AuditLog.MAX_MAX_WAIT);

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r0")))
                .isInstanceOf(AuditUnavailableException.class)
                .hasMessage("audit log lost failed and accepts no records: java.io.IOException: Input/output error");
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r1")))
                .isInstanceOf(AuditUnavailableException.class).hasMessageContaining("failed and accepts no records");
        assertThat(w.stats().rejected()).isEqualTo(2);
        assertThat(w.stats().recordsWritten()).isZero();
        assertThat(w.stats().lost()).isZero();
        w.close(); // the refused requests were refused, not lost: nothing to report
    }

    @Test
    void aBatchWhoseSyncFailsLeavesNoRecordInTheFile() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditFile f = AuditFile.open(file);
        java.util.concurrent.atomic.AtomicInteger forces = new java.util.concurrent.atomic.AtomicInteger();
        Sink secondSyncFails = failingSync(f, () -> forces.incrementAndGet() == 2, "Input/output error");
        DurableAuditWriter w = new DurableAuditWriter(secondSyncFails, f.lastHash(), AuditLog.MAX_MAX_WAIT);
        w.append(AuditFixtures.denial("r0"));
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("r1"))).isInstanceOf(AuditUnavailableException.class);
        w.close();
        // r1's request was refused: its record must not be in the file
        assertThat(AuditLog.verify(file).ok()).isTrue();
        assertThat(Files.readAllLines(file)).hasSize(1);
        assertThat(w.stats().recordsWritten()).isEqualTo(1);
    }

    @Test
    void closeDoesNotThrowForRequestsThatWereRefusedOnlyForRecordsThatWereLost() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditFile f = AuditFile.open(file);
        java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean();
        Sink disk = failingSync(f, full::get, "No space left on device");
        DurableAuditWriter w = new DurableAuditWriter(disk, f.lastHash(), AuditLog.MAX_MAX_WAIT);
        List<String> answered = new ArrayList<>();
        w.append(AuditFixtures.denial("r0"));
        answered.add("r0");
        full.set(true);
        for (int i = 1; i <= 3; i++) {
            int n = i;
            assertThatThrownBy(() -> w.append(AuditFixtures.denial("refused-" + n)))
                    .isInstanceOf(AuditUnavailableException.class);
            Thread.sleep(20);
        }
        full.set(false); // the disk has room again: the next batch is written
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (answered.size() < 3) {
            try {
                w.append(AuditFixtures.denial("r" + answered.size()));
                answered.add("r" + answered.size());
            } catch (AuditUnavailableException backingOff) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.sleep(5);
            }
        }
        full.set(true); // and full again at close, with a request refused
        assertThatThrownBy(() -> w.append(AuditFixtures.denial("refused-at-the-end")))
                .isInstanceOf(AuditUnavailableException.class);

        w.close(); // every accepted record is in the file: nothing to report
        AuditVerification v = AuditLog.verify(file);
        assertThat(v.ok()).as(v.message()).isTrue();
        assertThat(Files.readAllLines(file)).hasSize(answered.size())
                .allMatch(l -> answered.stream().anyMatch(id -> l.contains("\"" + id + "\"")));
        assertThat(w.stats().lost()).isZero();
    }

    @Test
    void shouldRefuseAppendsAfterClose() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AuditWriter w = AuditWriters.open(AuditLog.jsonLines(file).durable());
        w.close();
        w.close();

        assertThatThrownBy(() -> w.append(AuditFixtures.denial("late")))
                .isInstanceOf(AuditUnavailableException.class).hasMessage("audit log " + file + " is closed");
    }

    /** The file as a sink whose sync (force) fails with {@code message} whenever {@code fails} says so. */
    private static Sink failingSync(AuditFile f, java.util.function.BooleanSupplier fails, String message) {
        return new Sink() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                f.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                f.flush();
            }

            @Override
            public void force() throws IOException {
                if (fails.getAsBoolean()) {
                    throw new IOException(message);
                }
                f.force();
            }

            @Override
            public boolean abandonLastWrite() {
                return f.abandonLastWrite();
            }

            @Override
            public String name() {
                return f.name();
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Test
    void shouldTakeIntoOneBatchOnlyTheRecordsWhoseEstimatesFitTheBound() throws Exception {
        RecordingSink sink = new RecordingSink(true);
        AuditRecord big = AsyncAuditWriterTest.large("probe", 1000); // 25 KB by its estimate
        int bound = (int) (2.5 * big.estimatedBytes()); // two of them
        DurableAuditWriter w = new DurableAuditWriter(sink, AuditSerializer.ZERO_HASH, AuditLog.MAX_MAX_WAIT,
                new AuditLimits(bound, 1 << 20, ByteSink.MAX_LIMIT, 0));
        List<Thread> appenders = new ArrayList<>();
        Thread first = new Thread(() -> w.append(AsyncAuditWriterTest.large("r0", 1000)));
        first.start();
        assertThat(sink.firstWriteEntered.await(10, TimeUnit.SECONDS)).isTrue(); // r0's batch stalls
        for (int i = 1; i <= 6; i++) {
            String id = "r" + i;
            Thread t = new Thread(() -> w.append(AsyncAuditWriterTest.large(id, 1000)));
            appenders.add(t);
            t.start();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (w.stats().maxQueueDepth() < 6 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(w.stats().maxQueueDepth()).isEqualTo(6); // all six wait behind r0
        sink.gate.countDown();
        first.join();
        for (Thread t : appenders) {
            t.join();
        }
        w.close();

        assertThat(w.stats().recordsWritten()).isEqualTo(7);
        assertThat(w.stats().batches()).isEqualTo(4); // r0, then the six two by two (not all six at once)
        for (byte[] write : sink.writes()) {
            assertThat(write.length).isLessThanOrEqualTo(bound);
        }
        assertThat(AuditFixtures.lines(sink.bytes())).hasSize(7);
        assertThat(AuditFixtures.verify(sink.bytes()).ok()).isTrue();
    }
}

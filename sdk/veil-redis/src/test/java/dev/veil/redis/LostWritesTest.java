package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.spi.StateOp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Redis that lost writes it had acknowledged but kept Veil's state generation (restarted from an
 * older RDB snapshot: the generation check cannot see that) is said so, as an error, once by each
 * store whose latest answered batch was lost, whether it had waited for that batch or not, and
 * whatever other stores numbered since; one that lost nothing (an append-only file) is not, nor is
 * a busy Redis whose batches two stores' threads number and answer in any order.
 */
class LostWritesTest {
    private static final Path RDB_DIR = tempDir("veil-redis-rdb");
    private static final Path AOF_DIR = tempDir("veil-redis-aof");

    /** Snapshots only when a test sends SAVE: a crash loses what came after the last one. */
    @RegisterExtension
    static final RedisServer RDB = RedisServer.persistingIn(RDB_DIR, false);

    /** Every write in its append-only file before it is acknowledged: a crash loses nothing. */
    @RegisterExtension
    static final RedisServer AOF = RedisServer.persistingIn(AOF_DIR, true);

    private static final MutableClock CLOCK = new MutableClock(1_790_000_000_000L);
    private static final Duration TWO_S = Duration.ofSeconds(2);
    private static final long HOUR = 3_600_000;

    @AfterAll
    static void deleteDataFiles() throws IOException {
        for (Path dir : List.of(RDB_DIR, AOF_DIR)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the stores' connections are back (reconnect attempts at most 1 s apart). */
    private static void reconnected(RedisStateStore... stores) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (RedisStateStore s : stores) {
            while (!s.connected() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(s.connected()).as("reconnected within 10 s").isTrue();
        }
    }

    /** Saves a snapshot; then {@code a} blocks mallory and counts two of her queries, which the snapshot lacks. */
    private static long snapshotThenBlockAndCount(RedisStateStore a) throws IOException {
        assertThat(RDB.command("SAVE")).isEqualTo("OK");
        long now = CLOCK.millis();
        a.execute(new StateOp.Block("mallory", now + HOUR));
        a.execute(new StateOp.CountInWindow("mallory-queries", now, HOUR));
        a.execute(new StateOp.CountInWindow("mallory-queries", now, HOUR));
        return now;
    }

    private static RedisStateStore store(RedisServer redis, String namespace) {
        return RedisStateStore.builder(redis.url()).namespace(namespace).clock(CLOCK).timeout(TWO_S).build();
    }

    @Test
    void aRedisRestartedFromAnOlderSnapshotIsSaidSoOncePerStore() throws Exception {
        try (StoreLog log = StoreLog.start()) {
            RedisStateStore a = store(RDB, "t:{snap}:"); // batch 1 (the empty batch of build)
            RedisStateStore b = store(RDB, "t:{snap}:"); // batch 2
            try {
                long now = snapshotThenBlockAndCount(a); // 3, 4, 5 after the snapshot
                assertThat(b.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(now + HOUR); // 6
                assertThat(log.messages(Level.SEVERE)).isEmpty();

                RDB.kill(); // SIGKILL: nothing saved since the snapshot
                RDB.start();
                reconnected(a, b);

                // the block came after the snapshot: it is gone, and a says so (its mark, 5, is gone)
                assertThat(a.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(0L);
                assertThat(log.messages(Level.SEVERE)).singleElement().asString()
                        .startsWith("Redis at 127.0.0.1:" + RDB.port() + " lost writes it had acknowledged for "
                                + "namespace 't:{snap}:': the batch numbered 5, which this store saw answered, is "
                                + "gone from it (Redis numbered this store's next batch 3)")
                        .contains("The privacy budget they spent can be spent again")
                        .contains("appendonly yes");
                assertThat(a.execute(new StateOp.CountInWindow("mallory-queries", now, HOUR)))
                        .as("the count goes on from the snapshot's").containsExactly(1L); // 4: said once
                assertThat(log.messages(Level.SEVERE)).hasSize(1);

                assertThat(b.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(0L); // 5, b had 6
                assertThat(b.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(0L); // 6
                assertThat(log.messages(Level.SEVERE)).hasSize(2);
                assertThat(log.messages(Level.SEVERE).get(1)).contains("the batch numbered 6, which this store saw "
                        + "answered, is gone from it (Redis numbered this store's next batch 5)");

                try (RedisStateStore c = store(RDB, "t:{snap}:")) { // saw nothing that was lost
                    c.execute(new StateOp.BlockedUntil("mallory", now));
                }
                a.execute(new StateOp.BlockedUntil("mallory", now));
                b.execute(new StateOp.BlockedUntil("mallory", now));
                assertThat(log.messages(Level.SEVERE)).hasSize(2)
                        .noneMatch(m -> m.contains("lost Veil's state")); // the generation survived
            } finally {
                a.close();
                b.close();
            }
        }
    }

    /**
     * Another store's batches after the restart take the count past the lost store's mark again: the
     * mark's number now names another batch, whose token Redis holds instead (a review's case).
     */
    @Test
    void aLossIsSaidAlsoAfterOtherStoresNumberedPastTheLostBatches() throws Exception {
        try (StoreLog log = StoreLog.start()) {
            RedisStateStore a = store(RDB, "t:{past}:"); // 1
            RedisStateStore b = store(RDB, "t:{past}:"); // 2
            try {
                long now = snapshotThenBlockAndCount(a); // 3, 4, 5 after the snapshot
                RDB.kill();
                RDB.start();
                reconnected(a, b);

                for (int i = 0; i < 3; i++) { // 3, 4, 5 again: b lost nothing it had seen
                    b.execute(new StateOp.BlockedUntil("alice", now));
                }
                assertThat(log.messages(Level.SEVERE)).isEmpty();
                assertThat(a.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(0L); // 6 > 5
                assertThat(log.messages(Level.SEVERE)).singleElement().asString().contains("the batch numbered 5, "
                        + "which this store saw answered, is gone from it (Redis numbered this store's next batch 6)");
            } finally {
                a.close();
                b.close();
            }
        }
    }

    /**
     * Batches that read the store's mark before the crash but reach Redis after the restart (here:
     * request threads held between reading the mark and sending, by the store's clock) are answered
     * first: whether they were sent with the lost mark or with an older one the snapshot kept, none
     * may step the mark over the lost batch, or the loss would never be said (a review's case).
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void batchesOnTheirWayDuringTheLossDoNotHideIt(boolean heldBeforeTheSnapshot) throws Exception {
        GatedClock clock = new GatedClock(CLOCK.millis());
        String ns = "t:{held" + heldBeforeTheSnapshot + "}:";
        try (StoreLog log = StoreLog.start(); RedisStateStore a = RedisStateStore.builder(RDB.url()).namespace(ns)
                .clock(clock).timeout(TWO_S).build()) { // 1
            long now = clock.millis();
            a.execute(new StateOp.CountInWindow("q", now, HOUR)); // 2
            List<Thread> held = new ArrayList<>();
            if (heldBeforeTheSnapshot) {
                held = clock.hold(3, () -> a.execute(new StateOp.CountInWindow("q", now, HOUR))); // with mark 2
            }
            assertThat(RDB.command("SAVE")).isEqualTo("OK");
            a.execute(new StateOp.Block("mallory", now + HOUR)); // 3
            if (!heldBeforeTheSnapshot) {
                held = clock.hold(3, () -> a.execute(new StateOp.CountInWindow("q", now, HOUR))); // with mark 3
            }
            a.execute(new StateOp.CountInWindow("q", now, HOUR)); // 4
            RDB.kill();
            RDB.start();
            reconnected(a);
            for (Thread t : held) { // answered one after another, before any other batch of a
                clock.release(t);
                t.join(10_000);
            }

            assertThat(a.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(0L);
            a.execute(new StateOp.BlockedUntil("mallory", now));
            assertThat(log.messages(Level.SEVERE)).hasSize(1);
        }
    }

    /** A clock that holds the threads given to {@link #hold} in their first call, until {@link #release}. */
    private static final class GatedClock extends java.time.Clock {
        private final long millis;
        private final java.util.Map<Thread, java.util.concurrent.CountDownLatch> gates =
                new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<Thread, java.util.concurrent.CountDownLatch> arrived =
                new java.util.concurrent.ConcurrentHashMap<>();

        GatedClock(long millis) {
            this.millis = millis;
        }

        /** Starts {@code n} threads running {@code r} and returns once each waits in the clock. */
        List<Thread> hold(int n, Runnable r) throws InterruptedException {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Thread t = new Thread(r);
                gates.put(t, new java.util.concurrent.CountDownLatch(1));
                arrived.put(t, new java.util.concurrent.CountDownLatch(1));
                t.start();
                assertThat(arrived.get(t).await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                threads.add(t);
            }
            return threads;
        }

        void release(Thread t) {
            gates.remove(t).countDown();
        }

        @Override
        public long millis() {
            Thread me = Thread.currentThread();
            java.util.concurrent.CountDownLatch gate = gates.get(me);
            if (gate != null && arrived.get(me).getCount() > 0) {
                arrived.get(me).countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return millis;
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /** Batches sent without waiting (detector records, spent-budget marks) are marked by their answers too. */
    @Test
    void aLossOfSubmittedBatchesIsSaid() throws Exception {
        try (StoreLog log = StoreLog.start(); RedisStateStore a = store(RDB, "t:{sub}:")) { // 1
            long now = CLOCK.millis();
            assertThat(a.execute(new StateOp.CountInWindow("q", now, HOUR))).containsExactly(1L); // 2
            assertThat(RDB.command("SAVE")).isEqualTo("OK");
            for (int i = 0; i < 10; i++) {
                a.submit(new StateOp.CountInWindow("q", now, HOUR)); // 3 to 12
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!"12".equals(RDB.command("GET", "t:{sub}:gen:count")) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Thread.sleep(500); // the answers, read on Lettuce's thread as they arrive, have been taken in
            RDB.kill();
            RDB.start();
            reconnected(a);

            assertThat(a.execute(new StateOp.CountInWindow("q", now, HOUR))).containsExactly(2L); // the snapshot's 1
            // the mark is the answer of one of the submitted batches (3 to 12: the first one sent with the
            // store's mark then, 2, to be answered): without them it would be 2, which the snapshot kept
            assertThat(log.messages(Level.SEVERE)).singleElement().asString().containsPattern("the batch numbered "
                    + "([3-9]|1[0-2]), which this store saw answered, is gone from it \\(Redis numbered this store's "
                    + "next batch 3\\)");
        }
    }

    @Test
    void aRedisThatKeptEveryWriteIsNotSaidToHaveLostAny() throws Exception {
        try (StoreLog log = StoreLog.start()) {
            RedisStateStore a = store(AOF, "t:{aof}:");
            RedisStateStore b = store(AOF, "t:{aof}:");
            try {
                long now = CLOCK.millis();
                a.execute(new StateOp.Block("mallory", now + HOUR));
                a.execute(new StateOp.CountInWindow("mallory-queries", now, HOUR));
                b.execute(new StateOp.CountInWindow("mallory-queries", now, HOUR));

                AOF.kill();
                AOF.start();
                reconnected(a, b);

                assertThat(a.execute(new StateOp.BlockedUntil("mallory", now))).containsExactly(now + HOUR);
                assertThat(b.execute(new StateOp.CountInWindow("mallory-queries", now, HOUR))).containsExactly(3L);
                assertThat(log.messages(Level.SEVERE)).isEmpty();
            } finally {
                a.close();
                b.close();
            }
        }
    }

    /** Batches of two stores' threads reach Redis and come back in any order: none is taken for a loss. */
    @Test
    void concurrentBatchesOfTwoStoresAreNotTakenForALoss() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (StoreLog log = StoreLog.start();
                RedisStateStore a = store(RDB, "t:{busy}:");
                RedisStateStore b = store(RDB, "t:{busy}:")) {
            long now = CLOCK.millis();
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                RedisStateStore s = t % 2 == 0 ? a : b;
                String key = "k" + t;
                runs.add(pool.submit(() -> {
                    for (int i = 0; i < 400; i++) {
                        if (i % 4 == 0) {
                            s.submit(new StateOp.CountInWindow(key, now, HOUR)); // numbered too, never read back
                        } else {
                            s.execute(new StateOp.CountInWindow(key, now, HOUR));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> r : runs) {
                r.get();
            }
            a.execute(new StateOp.ListRead("settle")); // the submitted batches' answers are in before this one's
            b.execute(new StateOp.ListRead("settle"));
            assertThat(RDB.command("GET", "t:{busy}:gen:count")).isEqualTo("3204"); // 2 builds + 8 x 400 + 2
            // the marks of the latest 1,024 batches: what the README gives as the namespace's cost
            assertThat(RDB.command("HLEN", "t:{busy}:gen:marks")).isEqualTo("1024");
            long marksBytes = Long.parseLong(RDB.command("MEMORY", "USAGE", "t:{busy}:gen:marks"));
            System.out.printf("gen:marks of a namespace, full: %,d B (MEMORY USAGE)%n", marksBytes);
            assertThat(marksBytes).isBetween(32_768L, 98_304L);
            assertThat(log.messages(Level.SEVERE)).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }
}

package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.redis.internal.BatchScript;
import dev.veil.spi.RateLimit;
import dev.veil.spi.StateOp;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A realistic request batch (BlockedUntil + Acquire + 2 Fingerprint + ListAppend + CountInWindow)
 * is one network round trip, and what the alternative for rate buckets, Bucket4j's Lettuce
 * integration, would cost.
 *
 * <p>Method: Redis's MONITOR lists every command a client sends (the {@code redis.call}s a
 * script makes are marked {@code lua} and left out). {@code execute} sends what it sends and then
 * waits for the reply, so one command per batch is one round trip; the command is the
 * {@code EVALSHA} of the batch script. The same count for Bucket4j shows that its
 * compare-and-swap sends two commands per permit, the second (EVAL with the new state) only after
 * the reply to the first (GET): two round trips in sequence. Latencies are measured and written to
 * {@code target/redis-latency.txt} (the README quotes them); they are reported, not asserted
 * beyond a generous bound, since the machine is shared.
 */
class RoundTripTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static RedisStateStore store;
    private static final MutableClock CLOCK = new MutableClock(1_790_000_000_000L);

    @BeforeAll
    static void connect() {
        store = RedisStateStore.builder(REDIS.url()).namespace("veil:{fashion}:").clock(CLOCK)
                .timeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    /** The batch the Guard sends for one request with a fingerprint detector (per caller and global) and a history. */
    static StateOp[] realisticBatch(int i, long now) {
        return realisticBatch(i, now, 50);
    }

    static StateOp[] realisticBatch(int i, long now, int nHashes) {
        Random r = new Random(i);
        long[] hashes = new long[Math.abs(nHashes)];
        for (int h = 0; h < hashes.length; h++) {
            hashes[h] = nHashes < 0 ? r.nextLong() : r.nextInt(2000); // negative: distinct queries
        }
        byte[] sketch = new byte[256];
        r.nextBytes(sketch);
        String caller = "caller" + (i % 10);
        return new StateOp[] {
            new StateOp.BlockedUntil(caller, now),
            new StateOp.Acquire(caller, new RateLimit(1000, 2000), 100_000, now),
            new StateOp.Fingerprint("fp:c:" + caller, hashes, "q" + i, 8, 3_600_000),
            new StateOp.Fingerprint("fp:g", hashes, caller + ":q" + i, 8, 3_600_000),
            new StateOp.ListAppend("hist:" + caller, sketch, 50, 3_600_000),
            new StateOp.CountInWindow("rate:c:" + caller, now, 60_000)};
    }

    /** What clients sent while {@code work} ran {@code n} times, as MONITOR saw it. */
    private static java.util.List<String> sentFor(int n, Runnable work) throws Exception {
        RedisServer.Monitor m = REDIS.monitor();
        for (int i = 0; i < n; i++) {
            work.run();
        }
        return requests(m.stop());
    }

    /**
     * The commands sent for requests: without the store's periodic {@code INFO} and {@code TIME} (its
     * eviction and clock check, every {@link RedisStateStore.Builder#SERVER_CHECK_INTERVAL} whatever
     * the traffic), which a slow run may catch.
     */
    private static java.util.List<String> requests(java.util.List<String> sent) {
        return sent.stream().filter(c -> !c.equals("info") && !c.startsWith("info ") && !c.equals("time")).toList();
    }

    @Test
    void aRealisticBatchIsOneCommandOneRoundTrip() throws Exception {
        int[] i = {0};
        store.execute(realisticBatch(0, CLOCK.millis()));
        java.util.List<String> sent = sentFor(100, () -> {
            Object[] r = store.execute(realisticBatch(++i[0], CLOCK.millis()));
            assertThat(r).hasSize(6);
        });
        assertThat(sent).as("commands clients sent for 100 batches of 6 ops").hasSize(100)
                .allSatisfy(c -> assertThat(c).startsWith("evalsha " + BatchScript.get().sha1()));
    }

    @Test
    void submitIsOneCommandToo() throws Exception {
        RedisServer.Monitor m = REDIS.monitor();
        for (int i = 0; i < 50; i++) {
            store.submit(new StateOp.ListAppend("later", ("v" + i).getBytes(StandardCharsets.UTF_8), 100, 60_000));
        }
        // A waited batch after the submits: its reply comes after theirs on the one connection.
        Object[] r = store.execute(new StateOp.ListRead("later"));
        assertThat((java.util.List<?>) r[0]).hasSize(50);
        assertThat(requests(m.stop())).hasSize(51).allSatisfy(c -> assertThat(c).startsWith("evalsha "));
    }

    @Test
    void bucket4jCompareAndSwapNeedsTwoRoundTripsPerPermitAndTheBatchNeedsOne() throws Exception {
        RedisClient client = RedisClient.create(REDIS.url());
        try (StatefulRedisConnection<byte[], byte[]> conn = client.connect(ByteArrayCodec.INSTANCE)) {
            ProxyManager<byte[]> buckets = Bucket4jLettuce.casBasedBuilder(conn).build();
            BucketConfiguration config = BucketConfiguration.builder()
                    .addLimit(Bandwidth.builder().capacity(1_000_000).refillGreedy(1_000_000, Duration.ofSeconds(1))
                            .build())
                    .build();
            AsyncBucketProxy bucket = buckets.asAsync().builder()
                    .build("b4j:caller".getBytes(StandardCharsets.UTF_8),
                            () -> CompletableFuture.completedFuture(config));
            bucket.tryConsume(1).get();

            java.util.List<String> b4j = sentFor(100, () -> bucket.tryConsume(1).join());
            assertThat(b4j).as("commands clients sent for 100 Bucket4j permits").hasSize(200);
            assertThat(b4j.stream().filter(c -> c.startsWith("get ")).count()).isEqualTo(100);
            assertThat(b4j.stream().filter(c -> c.startsWith("eval ")).count()).isEqualTo(100);
            long perPermit = b4j.size();

            int n = 600;
            long[] batch = new long[n];
            long[] permit = new long[n];
            long[] both = new long[n];
            long[] ping = new long[n];
            var sync = conn.sync();
            for (int k = 0; k < n / 2; k++) { // warm-up
                store.execute(realisticBatch(k, CLOCK.millis()));
                bucket.tryConsume(1).join();
                sync.ping();
            }
            for (int k = 0; k < n; k++) {
                StateOp[] ops = realisticBatch(k, CLOCK.millis());
                long t0 = System.nanoTime();
                store.execute(ops);
                long t1 = System.nanoTime();
                bucket.tryConsume(1).join();
                long t2 = System.nanoTime();
                CompletableFuture<Boolean> f = bucket.tryConsume(1);
                store.execute(ops);
                f.join();
                long t3 = System.nanoTime();
                sync.ping();
                long t4 = System.nanoTime();
                batch[k] = t1 - t0;
                permit[k] = t2 - t1;
                both[k] = t3 - t2;
                ping[k] = t4 - t3;
            }
            String report = String.format(
                    "redis-server %s on loopback, %d samples, microseconds (median / p99):%n"
                            + "  PING (one round trip)                                   %s%n"
                            + "  execute: BlockedUntil+Acquire+2x Fingerprint(50 hashes)+ListAppend(256 B)"
                            + "+CountInWindow   %s%n"
                            + "  Bucket4j Lettuce CAS tryConsume alone                   %s%n"
                            + "  Bucket4j tryConsume issued concurrently with the batch  %s%n"
                            + "  commands per Bucket4j permit: %.2f; per batch: 1%n",
                    REDIS.command("INFO", "server").lines().filter(l -> l.startsWith("redis_version:"))
                            .findFirst().orElse("?").substring("redis_version:".length()).trim(),
                    n, stats(ping), stats(batch), stats(permit), stats(both), perPermit / 100.0);
            int distinct = 1_000_000;
            for (int hashes : new int[] {50, 20, 5, 0, -50}) {
                long[] lat = new long[300];
                for (int k = 0; k < lat.length; k++) {
                    StateOp[] ops = realisticBatch(hashes < 0 ? distinct++ : k, CLOCK.millis(), hashes);
                    if (hashes == 0) {
                        ops = new StateOp[] {ops[0], ops[1], ops[4], ops[5]};
                    }
                    long t0 = System.nanoTime();
                    store.execute(ops);
                    lat[k] = System.nanoTime() - t0;
                }
                REDIS.command("CONFIG", "RESETSTAT");
                for (int k = 0; k < 100; k++) {
                    StateOp[] ops = realisticBatch(hashes < 0 ? distinct++ : k, CLOCK.millis(), hashes);
                    store.execute(hashes == 0 ? new StateOp[] {ops[0], ops[1], ops[4], ops[5]} : ops);
                }
                String usec = REDIS.command("INFO", "commandstats").lines()
                        .filter(l -> l.startsWith("cmdstat_evalsha:")).findFirst().orElse("");
                report += String.format("  %s: latency %s, server time %s us%n",
                        hashes == 0 ? "batch without Fingerprint ops  " : hashes < 0
                                ? "batch with 2x Fingerprint(" + -hashes + "), distinct queries"
                                : "batch with 2x Fingerprint(" + hashes + ")" + (hashes < 10 ? " " : ""),
                        stats(lat), usec.replaceAll(".*usec_per_call=([0-9.]+).*", "$1"));
            }
            System.out.print(report);
            Files.writeString(Path.of("target", "redis-latency.txt"), report);
            assertThat(median(batch)).as("median batch latency (ns)").isLessThan(20_000_000L);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static long median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String stats(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return String.format("%6.0f / %6.0f", s[s.length / 2] / 1e3, s[(int) (s.length * 0.99)] / 1e3);
    }

}

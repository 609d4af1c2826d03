package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bound on a fingerprint index in Redis (batch.lua, ops.F), from a review of its first version,
 * which listed a hash key once, when it was made, and renewed the list's time to live only then: a
 * caller re-sending earlier queries let the list expire while its keys lived on, unlisted and past
 * the bound (1,000 more keys a round); and a query sent again lost its keys as the oldest made, where
 * the in-memory store keeps them.
 */
class FingerprintIndexBoundTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static long[] hashes(SplittableRandom r) {
        long[] h = new long[50];
        for (int i = 0; i < h.length; i++) {
            h[i] = r.nextLong();
        }
        return h;
    }

    private static long keysMatching(String pattern) throws Exception {
        return Long.parseLong(REDIS.command("EVAL", "return #redis.call('KEYS', ARGV[1])", "0", pattern));
    }

    /** Re-sent queries (no new key) for longer than the time to live: the index stays within its bound. */
    @Test
    void hashKeysNeverOutliveTheirOrderAndTheBoundHolds() throws Exception {
        long ttl = 1500;
        SplittableRandom r = new SplittableRandom(11);
        List<long[]> kept = new ArrayList<>();
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("rv:{esc}:")
                .timeout(Duration.ofSeconds(2)).fingerprintIndexKeys(1024, 1024).build()) {
            int m = 0;
            for (int round = 0; round < 4; round++) {
                for (int q = 0; q < 20; q++) { // 1,000 new hash keys: within the bound of 1,024
                    long[] h = hashes(r);
                    kept.add(h);
                    s.execute(new StateOp.Fingerprint("nd2:x:c:mallory", h, "m" + m++, 8, ttl, true));
                }
                long until = System.currentTimeMillis() + ttl + 400;
                while (System.currentTimeMillis() < until) { // re-send: touches keys, makes none
                    for (long[] h : kept) {
                        s.execute(new StateOp.Fingerprint("nd2:x:c:mallory", h, "m" + m++, 8, ttl, true));
                    }
                    Thread.sleep(200);
                }
                assertThat(keysMatching("rv:{esc}:f:nd2:x:c:mallory:*")).as("round %s", round)
                        .isLessThanOrEqualTo(1025 + 2 * 50 + 64);
            }
            assertThat(keysMatching("rv:{esc}:f:nd2:x:c:mallory:*")).as("one caller's index, bound 1,024 keys")
                    .isLessThanOrEqualTo(1025 + 2 * 50 + 64);
        }
    }

    /**
     * The same trace of one caller against the in-memory store (default cap) and Redis (default
     * bounds): query A, 480 distinct queries, A again, 30 distinct queries, A again. The second copy
     * of A is 31 queries old when the third arrives: both stores still hold it (the first version
     * deleted A's keys in Redis as the oldest made: 0 shared, no near_duplicate alarm).
     */
    @Test
    void aQuerySentAgainKeepsItsKeysInRedisAsInMemory() throws Exception {
        SplittableRandom r = new SplittableRandom(12);
        long[] a = hashes(r);
        List<long[]> trace = new ArrayList<>();
        trace.add(a);
        for (int i = 0; i < 480; i++) {
            trace.add(hashes(r));
        }
        trace.add(a);
        for (int i = 0; i < 30; i++) {
            trace.add(hashes(r));
        }
        MemoryStateStore mem = new MemoryStateStore(256L << 20, Clock.systemUTC(), 1000);
        int memShared = 0;
        int redisShared = 0;
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("rv:{trace}:")
                .timeout(Duration.ofSeconds(2)).build()) {
            int m = 0;
            for (long[] h : trace) {
                String member = String.format("%015d", m++);
                mem.execute(new StateOp.Fingerprint("nd2:x:c:alice", h, member, 8, 3_600_000, true));
                s.execute(new StateOp.Fingerprint("nd2:x:c:alice", h, member, 8, 3_600_000, true));
            }
            memShared = ((StateOp.FingerprintMatch) mem.execute(
                    new StateOp.Fingerprint("nd2:x:c:alice", a, "zzz", 8, 3_600_000, true))[0]).shared();
            redisShared = ((StateOp.FingerprintMatch) s.execute(
                    new StateOp.Fingerprint("nd2:x:c:alice", a, "zzz", 8, 3_600_000, true))[0]).shared();
        }
        assertThat(memShared).isEqualTo(50);
        assertThat(redisShared).as("Redis, the same trace as memory").isEqualTo(memShared);
    }
}

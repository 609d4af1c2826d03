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
 * The bound on a fingerprint index in Redis (batch.lua, ops.F). A review of an earlier layout (one
 * key per hash, listed in an order whose time to live only a new key renewed) found that a caller
 * re-sending earlier queries let the order expire while its keys lived on, unlisted and past the
 * bound; and that a query sent again lost its keys as the oldest made, where the in-memory store
 * keeps them. The same attacks against today's layout (the index's meta string must outlive every
 * key of the index, or query numbers would start again and old entries be read as new ones).
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

    /**
     * Re-sent queries (no new entry, a new query number each) for longer than the time to live: the
     * index stays within its bound, and its meta string lives at least as long as any of its keys.
     */
    @Test
    void noKeyOutlivesTheIndexsMetaStringAndTheBoundHolds() throws Exception {
        long ttl = 1500;
        SplittableRandom r = new SplittableRandom(11);
        List<long[]> kept = new ArrayList<>();
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace("rv:{esc}:")
                .timeout(Duration.ofSeconds(2)).fingerprintIndexQueries(20, 20).build()) {
            int m = 0;
            for (int round = 0; round < 4; round++) {
                for (int q = 0; q < 20; q++) {
                    long[] h = hashes(r);
                    kept.add(h);
                    s.execute(new StateOp.Fingerprint("nd2:x:c:mallory", h, "m" + m++, 8, ttl, true));
                }
                long until = System.currentTimeMillis() + ttl + 400;
                while (System.currentTimeMillis() < until) { // re-send: numbers grow, entries do not
                    for (long[] h : kept) {
                        s.execute(new StateOp.Fingerprint("nd2:x:c:mallory", h, "m" + m++, 8, ttl, true));
                    }
                    assertMetaOutlivesTheRest("rv:{esc}:f:nd2:x:c:mallory:");
                    Thread.sleep(200);
                }
                assertThat(entries("rv:{esc}:f:nd2:x:c:mallory:h*")).as("round %s", round)
                        .isLessThanOrEqualTo(2 * 20 * 50);
            }
        }
    }

    private static void assertMetaOutlivesTheRest(String prefix) throws Exception {
        String[] ttls = REDIS.command("EVAL", "local meta = redis.call('PTTL', ARGV[1] .. 'm') local out = {} "
                + "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do "
                + "if k ~= ARGV[1] .. 'm' then out[#out + 1] = redis.call('PTTL', k) end end "
                + "table.sort(out) return {meta, out[1] or 1, out[#out] or -3}", "0", prefix)
                .split("\\s+");
        long meta = Long.parseLong(ttls[0].trim());
        assertThat(Long.parseLong(ttls[1].trim())).as("the shortest time to live of the index's other keys")
                .isPositive();
        long longest = Long.parseLong(ttls[ttls.length - 1].trim());
        assertThat(meta).as("the meta string's time to live, against the longest of the other keys' (%s)", longest)
                .isGreaterThanOrEqualTo(longest);
    }

    private static long entries(String pattern) throws Exception {
        return Long.parseLong(REDIS.command("EVAL", "local t = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                + "t = t + redis.call('HLEN', k) end return t", "0", pattern));
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

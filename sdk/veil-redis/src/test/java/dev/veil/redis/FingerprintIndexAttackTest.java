package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.spi.StateOp;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A review's attacks on the packed fingerprint index in Redis (batch.lua, ops.F), each of which its
 * first version failed: a lost meta string made old entries name another member; a bucket that
 * reached 124 fields forgot its oldest live entries (a caller who chooses its hashes, as one who
 * knows {@code near_duplicate}'s seed can, made the index forget another caller's query long
 * before its bound); and a bucket pushed past a listpack stayed a hash table for good.
 */
class FingerprintIndexAttackTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static long[] hashes(SplittableRandom r, int n) {
        long[] h = new long[n];
        for (int i = 0; i < h.length; i++) {
            h[i] = r.nextLong();
        }
        return h;
    }

    private static RedisStateStore store(String ns, int bound) {
        return RedisStateStore.builder(REDIS.url()).namespace(ns).timeout(Duration.ofSeconds(5))
                .fingerprintIndexQueries(bound, bound).build();
    }

    /** 50 hashes whose low 32 bits put them all in one bucket of an index of {@code 2^(level+2)} buckets. */
    private static long[] into(SplittableRandom r, long bucket, long buckets) {
        long[] h = new long[50];
        for (int i = 0; i < h.length; i++) {
            long v = r.nextLong();
            h[i] = (v & ~0xffffffffL) | ((((v & 0xffffffffL) / buckets) * buckets + bucket) & 0xffffffffL);
        }
        return h;
    }

    /** {@code n} random queries of 50 hashes, members {@code name0, name1, ...}. */
    private static void send(RedisStateStore s, SplittableRandom r, int n, String name) {
        for (int i = 0; i < n; i++) {
            s.execute(new StateOp.Fingerprint("g", hashes(r, 50), name + i, 8, 3_600_000));
        }
    }

    private static int level(String ns) throws Exception {
        return Integer.parseInt(REDIS.command("GET", ns + "f:g:m").split(" ")[1]);
    }

    private static String hashTables(String ns) throws Exception {
        return REDIS.command("EVAL", "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                + "if redis.call('OBJECT', 'ENCODING', k) == 'hashtable' then n = n + 1 end end return n", "0",
                ns + "f:g:h*").trim();
    }

    /**
     * The meta string lost (evicted by a Redis allowed to evict, deleted by hand) while the index's
     * other keys live: the numbering started again at 1 and an old entry was read as the new query of
     * that number, so carol's copy of alice's query matched bob, who shares none of its hashes.
     */
    @Test
    void aLostMetaStringNeverMakesOldEntriesNameAnotherMember() throws Exception {
        SplittableRandom r = new SplittableRandom(1);
        long[] alice = hashes(r, 50);
        try (RedisStateStore s = store("fa1:", 1000)) {
            s.execute(new StateOp.Fingerprint("g", alice, "alice", 8, 3_600_000));
            REDIS.command("DEL", "fa1:f:g:m");
            s.execute(new StateOp.Fingerprint("g", hashes(r, 50), "bob", 8, 3_600_000));
            Object got = s.execute(new StateOp.Fingerprint("g", alice, "carol", 8, 3_600_000))[0];
            assertThat(got).as("the index forgot alice's query with its meta string").isEqualTo(
                    StateOp.FingerprintMatch.NONE);
        }
    }

    /**
     * Three chosen queries into the bucket of each of alice's 50 hashes (150 queries, the bound is
     * 1,000): alice's query is still remembered in full.
     */
    @Test
    void chosenHashesDoNotMakeTheIndexForgetAnotherCallersQuery() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        try (RedisStateStore s = store("fa2:", 1000)) {
            send(s, r, 300, "benign");
            long[] alice = hashes(r, 50);
            s.execute(new StateOp.Fingerprint("g", alice, "alice", 8, 3_600_000));
            long buckets = 1L << (level("fa2:") + 2); // the bucket now and after the next splits
            for (long a : alice) {
                for (int q = 0; q < 3; q++) {
                    s.execute(new StateOp.Fingerprint("g", into(r, (a & 0xffffffffL) % buckets, buckets), "mallory",
                            8, 3_600_000));
                }
            }
            send(s, r, 64, "later");
            assertThat(s.execute(new StateOp.Fingerprint("g", alice, "carol", 8, 3_600_000)))
                    .containsExactly(new StateOp.FingerprintMatch("alice", 50));
        }
    }

    /**
     * Twelve chosen queries into one bucket (600 fields: past Redis's 512-entry listpack, a hash table
     * from then on), then enough others that the index forgets them: the sweep writes the bucket anew,
     * a listpack again.
     */
    @Test
    void aBucketPushedPastAListpackBecomesOneAgainOnceItsEntriesAreForgotten() throws Exception {
        SplittableRandom r = new SplittableRandom(4);
        try (RedisStateStore s = store("fa3:", 100)) {
            send(s, r, 100, "benign");
            long buckets = 1L << (level("fa3:") + 1);
            for (int q = 0; q < 12; q++) {
                s.execute(new StateOp.Fingerprint("g", into(r, 5, buckets), "mallory", 8, 3_600_000));
            }
            assertThat(hashTables("fa3:")).as("right after the chosen queries").isEqualTo("1");
            send(s, r, 300, "later");
            assertThat(hashTables("fa3:")).as("once they are forgotten and swept").isEqualTo("0");
        }
    }
}

package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.internal.state.MemoryStateStore;
import dev.veil.spi.StateOp;
import java.time.Clock;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two reviews' attacks on the packed fingerprint index in Redis (batch.lua, ops.F), each of which an
 * earlier version failed: a lost meta string made old entries name another member; a bucket that
 * reached 124 fields forgot its oldest live entries (a caller who chooses its hashes, as one who
 * knows {@code near_duplicate}'s seed can, made the index forget another caller's query long
 * before its bound); a bucket pushed past a listpack stayed a hash table for good, and then at some
 * phases of the sweep; a bucket of thousands of chosen fields made every later op on the index fail
 * (Lua unpacks a few thousand values at most); and a group of 64 queries expired while later
 * queries kept its queries' hashes alive.
 */
class FingerprintIndexAttackTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    /** {@code n} random 64-bit hashes. */
    static long[] hashes(SplittableRandom r, int n) {
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

    private static final long M32 = 0xffff_ffffL;

    /** MurmurHash3's 32-bit finaliser, as batch.lua's fp_mix. */
    private static long mix(long h) {
        h &= M32;
        h ^= h >>> 16;
        h = (h * 0x85eb_ca6bL) & M32;
        h ^= h >>> 13;
        h = (h * 0xc2b2_ae35L) & M32;
        return h ^ (h >>> 16);
    }

    /**
     * The bucket address batch.lua gives a hash in a namespace: its low 32 bits mixed, keyed by the
     * namespace's generation (which the test reads; a caller does not see it).
     */
    private static long address(String ns, long h) throws Exception {
        return address(keys(ns), h);
    }

    /** The namespace's two 32-bit keys: the first 16 hex digits of its generation. */
    private static long[] keys(String ns) throws Exception {
        String gen = REDIS.command("GET", ns + "gen").trim();
        return new long[] {Long.parseLong(gen.substring(0, 8), 16), Long.parseLong(gen.substring(8, 16), 16)};
    }

    private static long address(long[] k, long h) {
        return mix(mix((h & M32) ^ k[0]) ^ k[1]);
    }

    /**
     * {@code n} hashes whose address is {@code bucket} modulo {@code buckets} (a power of two): what
     * a caller would choose who knew the namespace's generation as well as the detector's seed.
     */
    private static long[] into(String ns, SplittableRandom r, int n, long bucket, long buckets) throws Exception {
        long[] k = keys(ns);
        long[] h = new long[n];
        for (int i = 0; i < h.length; i++) {
            long v;
            do {
                v = r.nextLong();
            } while ((address(k, v) & (buckets - 1)) != bucket);
            h[i] = v;
        }
        return h;
    }

    /** {@code n} random queries of 50 hashes, members {@code name0, name1, ...}. */
    private static void send(RedisStateStore s, SplittableRandom r, int n, String name) {
        for (int i = 0; i < n; i++) {
            s.execute(new StateOp.Fingerprint("g", hashes(r, 50), name + i, 8, 3_600_000));
        }
    }

    /** A new query, then a copy of it: the index answers with all 50 of its hashes. */
    private static void assertANewQueryIsRemembered(RedisStateStore s, SplittableRandom r) {
        long[] alice = hashes(r, 50);
        s.execute(new StateOp.Fingerprint("g", alice, "alice", 8, 3_600_000));
        assertThat(s.execute(new StateOp.Fingerprint("g", alice, "carol", 8, 3_600_000)))
                .containsExactly(new StateOp.FingerprintMatch("alice", 50));
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
                    s.execute(new StateOp.Fingerprint("g", into("fa2:", r, 50, address("fa2:", a) % buckets, buckets), "mallory",
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
     * a listpack again, at whichever of its 16 phases the chosen queries arrive.
     */
    @Test
    void aBucketPushedPastAListpackBecomesOneAgainOnceItsEntriesAreForgotten() throws Exception {
        for (int phase = 0; phase < 16; phase++) {
            SplittableRandom r = new SplittableRandom(4);
            String ns = "fa3p" + phase + ":";
            try (RedisStateStore s = store(ns, 100)) {
                send(s, r, 100 + phase, "benign");
                long buckets = 1L << (level(ns) + 1);
                for (int q = 0; q < 12; q++) {
                    s.execute(new StateOp.Fingerprint("g", into(ns, r, 50, 5, buckets), "mallory", 8, 3_600_000));
                }
                assertThat(hashTables(ns)).as("right after the chosen queries, phase %s", phase).isEqualTo("1");
                send(s, r, 300, "later");
                assertThat(hashTables(ns)).as("once they are forgotten and swept, phase %s", phase).isEqualTo("0");
            }
        }
    }

    /** Chosen hashes all in one bucket of a growing index: its split moves thousands of fields. */
    @Test
    void theSplitOfABucketOfThousandsOfChosenFieldsWorks() throws Exception {
        SplittableRandom r = new SplittableRandom(10);
        try (RedisStateStore s = store("fa4:", 1000)) {
            for (int q = 0; q < 90; q++) {
                s.execute(new StateOp.Fingerprint("g", into("fa4:", r, 50, 32, 64), "mallory" + q, 8, 3_600_000));
            }
            assertANewQueryIsRemembered(s, r);
        }
    }

    /**
     * What one who knows the detector's seed can choose: 4,500 hashes alike in their low 32 bits
     * modulo 64, which put them all in one bucket when buckets were addressed by those bits. Through
     * the keyed address they spread like any others.
     */
    @Test
    void hashesAlikeInTheirLowBitsSpreadOverTheBuckets() throws Exception {
        SplittableRandom r = new SplittableRandom(12);
        try (RedisStateStore s = store("fa7:", 1000)) {
            long k = 0;
            for (int q = 0; q < 90; q++) {
                long[] h = new long[50];
                for (int i = 0; i < h.length; i++) {
                    h[i] = (r.nextLong() & 0xffff_0000_0000_0000L) | (32 + 64 * k++);
                }
                s.execute(new StateOp.Fingerprint("g", h, "mallory" + q, 8, 3_600_000));
            }
            long largest = Long.parseLong(REDIS.command("EVAL", "local most = 0 for _, k in ipairs(redis.call('KEYS', "
                    + "ARGV[1])) do local n = redis.call('HLEN', k) if n > most then most = n end end return most", "0",
                    "fa7:f:g:h*").trim());
            assertThat(largest).as("the largest bucket of 4,500 fields").isLessThan(300);
        }
    }

    /**
     * 20 chosen queries of 1,000 hashes (a fingerprint may have 1,024) into one bucket of an index
     * bounded at 20 queries: 20,000 fields, all forgotten when the sweep next meets the bucket, which
     * then also holds one more chosen query's 1,000 live fields: it deletes the 20,000.
     */
    @Test
    void theSweepOfABucketOfThousandsOfForgottenFieldsWorks() throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        try (RedisStateStore s = store("fa5:", 20)) {
            send(s, r, 20, "benign");
            for (int q = 0; q < 21; q++) {
                if (q == 20) { // wait until the sweep is two queries from bucket 5, with the 20 forgotten
                    send(s, r, 20, "later");
                    while (true) {
                        String[] m = REDIS.command("GET", "fa5:f:g:m").split(" ");
                        long buckets = (1L << Integer.parseInt(m[1])) + Long.parseLong(m[2]);
                        long ahead = Math.floorMod(5 - Long.parseLong(m[3]), buckets);
                        if (ahead >= 4 && ahead < 8) {
                            break;
                        }
                        send(s, r, 1, "wait");
                    }
                }
                s.execute(new StateOp.Fingerprint("g", into("fa5:", r, 1000, 5, 256), "mallory" + q, 8, 3_600_000));
            }
            send(s, r, 1, "sweeping"); // the sweep meets bucket 5
            assertThat(entries("fa5:")).as("its last 20 queries' entries and those the sweep has not reached")
                    .isLessThan(5 * 1000);
            assertANewQueryIsRemembered(s, r);
        }
    }

    /**
     * Alice's query and 62 others at t = 0 (ttl 3 s), then 50 queries at t = 1.5 s that each share one
     * of alice's hashes (their lists live on), then at t = 3.5 s an exact copy of alice's query: all
     * 50 hashes still name alice, in memory and in Redis (the group holding alice's member expired at
     * 3 s before the later queries' writes kept it).
     */
    @Test
    void aQueryIsRememberedAsLongAsAnyOfItsHashesIs() throws Exception {
        long ttl = 3_000;
        SplittableRandom r = new SplittableRandom(7);
        long[] alice = hashes(r, 50);
        try (RedisStateStore s = store("fa6:", 1000);
                MemoryStateStore mem = new MemoryStateStore(256L << 20, Clock.systemUTC(), 1000)) {
            long start = System.nanoTime();
            for (int i = -1; i < 62; i++) {
                StateOp.Fingerprint f = new StateOp.Fingerprint("g", i < 0 ? alice : hashes(r, 50),
                        i < 0 ? "alice" : "f" + i, 8, ttl);
                s.execute(f);
                mem.execute(f);
            }
            Thread.sleep(Math.max(0, 1_500 - (System.nanoTime() - start) / 1_000_000));
            for (int i = 0; i < 50; i++) {
                long[] h = hashes(r, 50);
                h[0] = alice[i];
                StateOp.Fingerprint f = new StateOp.Fingerprint("g", h, "b" + i, 8, ttl);
                s.execute(f);
                mem.execute(f);
            }
            Thread.sleep(Math.max(0, 3_500 - (System.nanoTime() - start) / 1_000_000));
            StateOp.Fingerprint copy = new StateOp.Fingerprint("g", alice, "carol", 8, ttl);
            assertThat(mem.execute(copy)).as("memory").containsExactly(new StateOp.FingerprintMatch("alice", 50));
            assertThat(s.execute(copy)).as("Redis").containsExactly(new StateOp.FingerprintMatch("alice", 50));
        }
    }

    private static long entries(String ns) throws Exception {
        return Long.parseLong(REDIS.command("EVAL", "local t = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                + "t = t + redis.call('HLEN', k) end return t", "0", ns + "f:g:h*").trim());
    }
}

package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.spi.StateOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The query numbers a fingerprint index keeps in Redis modulo its modulus (batch.lua, ops.F: the
 * least power of two at least 4 times its bound, and at least 64): a bound that outgrows a quarter
 * of the modulus starts the index afresh, a meta string of the format before the modulus (six
 * numbers) is not read, and no entry names a query older than twice the bound and a round of the
 * sweep, which is what makes a number modulo the modulus name one query. That entries are read
 * right across many turns of the modulus is {@link FingerprintIndexPropertiesTest}'s (bounds of 1 to
 * 60, moduli of 64 to 256, streams of up to 400 queries).
 */
class FingerprintIndexNumbersTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final long TTL = 3_600_000;

    private static RedisStateStore store(String ns, int bound) {
        return RedisStateStore.builder(REDIS.url()).namespace(ns).timeout(Duration.ofSeconds(5))
                .fingerprintIndexQueries(bound, bound).build();
    }

    /** The oldest entry of index {@code g}, in queries before {@code q}: hashes name their query in bits 20 and up. */
    private static long oldest(String ns, int q) throws Exception {
        return Long.parseLong(REDIS.command("EVAL", "local oldest = 0 "
                + "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
                + "for _, f in ipairs(redis.call('HKEYS', k)) do local a, b = string.byte(f, 1, 2) "
                + "oldest = math.max(oldest, ARGV[2] - math.floor((a * 256 + b) / 16)) end end return oldest",
                "0", ns + "f:g:h*", Integer.toString(q)).trim());
    }

    /** A hash whose low 32 bits name query {@code q} (bits 20 and up) and place {@code i} in it (bits 10 to 19). */
    private static long named(SplittableRandom r, int q, int i) {
        return (r.nextLong() & ~0xffff_ffffL) | (long) q << 20 | (long) i << 10 | r.nextInt(1 << 10);
    }

    private static String[] meta(String ns) throws Exception {
        return REDIS.command("GET", ns + "f:g:m").trim().split(" ");
    }

    /**
     * An index made by a store bounded at 16 queries (modulus 64) is read by another of that bound
     * and by one of 12; a store bounded at 17 (a quarter of 64 is 16) starts it afresh with modulus
     * 128, which a store bounded at 16 then keeps.
     */
    @Test
    void aBoundPastAQuarterOfTheModulusStartsTheIndexAfresh() throws Exception {
        SplittableRandom r = new SplittableRandom(1);
        long[] alice = FingerprintIndexAttackTest.hashes(r, 50);
        try (RedisStateStore a = store("fn1:", 16); RedisStateStore small = store("fn1:", 12);
                RedisStateStore larger = store("fn1:", 17)) {
            a.execute(new StateOp.Fingerprint("g", alice, "alice", 8, TTL));
            assertThat(meta("fn1:")[5]).isEqualTo("64");
            assertThat(small.execute(new StateOp.Fingerprint("g", alice, "bob", 8, TTL)))
                    .containsExactly(new StateOp.FingerprintMatch("alice", 50));
            assertThat(larger.execute(new StateOp.Fingerprint("g", alice, "carol", 8, TTL)))
                    .as("a new index").containsExactly(StateOp.FingerprintMatch.NONE);
            assertThat(meta("fn1:")[0]).isEqualTo("1");
            assertThat(meta("fn1:")[5]).isEqualTo("128");
            assertThat(a.execute(new StateOp.Fingerprint("g", alice, "dave", 8, TTL)))
                    .containsExactly(new StateOp.FingerprintMatch("carol", 50));
            assertThat(meta("fn1:")[5]).isEqualTo("128");
        }
    }

    /**
     * An index of the format before the modulus: a meta string of six numbers, and a bucket and
     * group of its epoch that would name alice for each of her hashes. Read as today's, they would
     * answer alice (with the modulus missing, or read as the epoch); the index starts afresh instead.
     */
    @Test
    void aMetaStringOfTheFormerFormatStartsTheIndexAfresh() throws Exception {
        SplittableRandom r = new SplittableRandom(2);
        long[] alice = FingerprintIndexAttackTest.hashes(r, 50);
        try (RedisStateStore s = store("fn2:", 16)) {
            // the namespace's generation
            s.execute(new StateOp.Fingerprint("other", FingerprintIndexAttackTest.hashes(r, 1), "x", 8, TTL));
            REDIS.command("SET", "fn2:f:g:m", "1 0 0 0 50 old");
            StringBuilder fields = new StringBuilder();
            for (long h : alice) {
                int v = (int) h;
                fields.append("redis.call('HSET', KEYS[1], string.char(").append((v >>> 24) & 0xff).append(',')
                        .append((v >>> 16) & 0xff).append(',').append((v >>> 8) & 0xff).append(',')
                        .append(v & 0xff).append("), '1') ");
            }
            REDIS.command("EVAL", fields + "return 1", "1", "fn2:f:g:hold.0");
            REDIS.command("HSET", "fn2:f:g:qold.0", "1", "alice", "d1", "9999999999999");
            assertThat(s.execute(new StateOp.Fingerprint("g", alice, "carol", 8, TTL)))
                    .containsExactly(StateOp.FingerprintMatch.NONE);
            String[] m = meta("fn2:");
            assertThat(m).hasSize(7);
            assertThat(m[0]).isEqualTo("1");
            assertThat(m[6]).isNotEqualTo("old");
        }
    }

    /**
     * Queries of 1,024 distinct hashes into an index bounded at 16 (modulus 64): the index grows to
     * 128 buckets, so that a sweep of 4 buckets a query would take 32 queries for a round; it sweeps
     * 8, and after every query each entry it holds names one of its last 16 + 16 queries (its bound,
     * and a round of the sweep) plus a few for buckets split during a round, well within the 64 a
     * number modulo 64 tells apart.
     */
    @Test
    void noEntryOutlivesItsQueryByMoreThanTheBoundAndARoundOfTheSweep() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        long oldest = 0;
        try (RedisStateStore s = store("fn3:", 16)) {
            for (int q = 1; q <= 100; q++) {
                // the low 32 bits name the query (bits 20 and up) and the hash's place in it (bits 10 to 19)
                long[] h = new long[StateOp.Fingerprint.MAX_HASHES];
                for (int i = 0; i < h.length; i++) {
                    h[i] = named(r, q, i);
                }
                s.execute(new StateOp.Fingerprint("g", h, "q" + q, 8, TTL));
                oldest = Math.max(oldest, oldest("fn3:", q));
            }
            assertThat(meta("fn3:")[1]).as("the buckets' level: 128 buckets").isEqualTo("7");
        }
        System.out.printf("FingerprintIndexNumbersTest: the oldest entry of an index bounded at 16 (modulus 64), "
                + "queries of 1,024 hashes: %d queries old%n", oldest);
        assertThat(oldest).isLessThan(40);
    }

    /**
     * A review's case: buckets that keep growing, a few splits a query (one query of 1,024 hashes
     * raises the most hashes a query had, then queries of 16 or 24 hashes, each half made of the
     * fresh hashes of the query 63 before it, so that entries keep their first number long), in an
     * index bounded at 64 (modulus 256). While the sweep did not count the buckets a query split, its
     * round took longer than a quarter of the modulus and entries lived up to 202 queries (the bound
     * is cap + cap + mod / 4 = 192). Every answer is also the {@link FingerprintIndexPropertiesTest.Model}'s.
     */
    @Test
    void noEntryOutlivesThreeQuartersOfTheModulusWhileTheBucketsGrow() throws Exception {
        long worst = 0;
        int run = 0;
        for (int pre : new int[] {96, 128}) {
            for (int small : new int[] {16, 24}) {
                String ns = "fn4" + run++ + ":";
                SplittableRandom r = new SplittableRandom(pre + small);
                FingerprintIndexPropertiesTest.Model model = new FingerprintIndexPropertiesTest.Model(64);
                List<long[]> fresh = new ArrayList<>();
                try (RedisStateStore s = store(ns, 64)) {
                    for (int q = 1; q <= pre + 257; q++) {
                        long[] h = new long[q == pre + 1 ? StateOp.Fingerprint.MAX_HASHES : small];
                        int k = 0;
                        if (fresh.size() >= 63) {
                            long[] old = fresh.get(fresh.size() - 63);
                            for (; k < h.length / 2 && k < old.length; k++) {
                                h[k] = old[k];
                            }
                        }
                        for (int i = k; i < h.length; i++) {
                            h[i] = named(r, q, i);
                        }
                        fresh.add(Arrays.copyOfRange(h, k, h.length));
                        assertThat(s.execute(new StateOp.Fingerprint("g", h, "q" + q, 8, TTL)))
                                .as("query %d", q).containsExactly(model.add(h, "q" + q, 8));
                        worst = Math.max(worst, oldest(ns, q));
                    }
                    assertThat(meta(ns)[5]).isEqualTo("256");
                }
            }
        }
        System.out.printf("FingerprintIndexNumbersTest: growing buckets, index bounded at 64 (modulus 256): the oldest "
                + "entry %d queries old%n", worst);
        assertThat(worst).isLessThanOrEqualTo(192);
    }
}

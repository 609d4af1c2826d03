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
 * Ops of one fingerprint index that ask for different times to live (two Guards of one namespace
 * with different {@code ttl_seconds}, or a reload): a hash's entries live until the deadline of the
 * newest of them, in both stores. A review found that in Redis an op with a short time to live cut
 * the buckets it touched, and the group of 64 queries it fell in, to its own (near copies of the
 * longer-lived queries went unseen), and that in memory an op with a short time to live cut the
 * whole index to its own. Queries of 50 hashes; long 20 s, short 1 s, then 2 s of waiting.
 */
class FingerprintIndexTtlTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final long LONG = 20_000;
    private static final long SHORT = 1_000;

    private static long[] hashes(SplittableRandom r) {
        long[] h = new long[50];
        for (int i = 0; i < h.length; i++) {
            h[i] = r.nextLong();
        }
        return h;
    }

    /**
     * {@code before} queries of long life, then alice's (long), bob's (short, other hashes) and, when
     * {@code carol}, carol's (long, other hashes); 2 s later a copy of alice's query: both stores
     * must find alice with all 50 hashes.
     */
    private static void check(String ns, long seed, int before, boolean carol) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace(ns).timeout(Duration.ofSeconds(5))
                .build();
                MemoryStateStore m = new MemoryStateStore(256L << 20, Clock.systemUTC(), 1000)) {
            long[] alice = null;
            for (int i = 0; i < before + 3; i++) {
                if (i == before + 2 && !carol) {
                    break;
                }
                long[] h = hashes(r);
                alice = i == before ? h : alice;
                StateOp.Fingerprint f = new StateOp.Fingerprint("g", h, "q" + i, 8, i == before + 1 ? SHORT : LONG);
                s.execute(f);
                m.execute(f);
            }
            Thread.sleep(2 * SHORT);
            StateOp.Fingerprint copy = new StateOp.Fingerprint("g", alice, "dave", 8, LONG);
            StateOp.FingerprintMatch alices = new StateOp.FingerprintMatch("q" + before, 50);
            assertThat(m.execute(copy)).as("memory").containsExactly(alices);
            assertThat(s.execute(copy)).as("Redis").containsExactly(alices);
        }
    }

    /** Alice is query 63, the last of its group; bob's short op touches buckets that hold her hashes. */
    @Test
    void aShortLivedOpDoesNotCutTheBucketsItTouches() throws Exception {
        check("ft1:", 1, 62, true);
    }

    /** Alice is query 62; bob's short op, query 63, falls in her group of 64 queries. */
    @Test
    void aShortLivedOpDoesNotCutItsGroupOfQueries() throws Exception {
        check("ft2:", 2, 61, true);
    }

    /** Bob's short op is the index's last write. */
    @Test
    void aShortLivedLastOpDoesNotCutTheIndex() throws Exception {
        check("ft3:", 3, 190, false);
    }
}

package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.spi.StateOp;
import java.time.Clock;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One caller's flood of distinct queries must not make the in-memory store forget other callers'
 * fingerprint indexes: a review showed 0 of 20 callers keeping theirs after 3,065 distinct queries
 * of one caller at a 16 MiB cap (its own index and the global one could each take half of the
 * fingerprint share), so that a probing account's history, the one that blocks, could be wiped by
 * another account's traffic. A caller's index now has a small bound of its own and forgets its
 * oldest queries first.
 */
class CallerIndexFloodTest {
    private static final long TTL = 3_600_000;

    private static long[] hashes(SplittableRandom r) {
        long[] h = new long[50];
        for (int i = 0; i < h.length; i++) {
            h[i] = r.nextLong();
        }
        return h;
    }

    private static StateOp.FingerprintMatch add(MemoryStateStore s, String index, long[] h, String member,
            boolean perCaller) {
        return (StateOp.FingerprintMatch) s.execute(new StateOp.Fingerprint(index, h, member, 8, TTL, perCaller))[0];
    }

    @Test
    void oneCallersFloodLeavesTheOtherCallersIndexesAndItsOwnRecentQueries() {
        MemoryStateStore store = new MemoryStateStore(16L << 20, Clock.systemUTC(), 1000);
        SplittableRandom r = new SplittableRandom(3);
        long[][] earlier = new long[20][];
        for (int v = 0; v < 20; v++) {
            for (int q = 0; q < 5; q++) {
                earlier[v] = hashes(r);
                add(store, "nd2:near_duplicate:c:victim" + v, earlier[v], "victim-query-" + q, true);
            }
        }
        long[] last = null;
        for (int n = 0; n < 10_000; n++) { // about 30 times what one caller's index holds at this cap
            last = hashes(r);
            String m = String.format("%015d", n);
            add(store, "nd2:near_duplicate:c:mallory", last, m, true);
            add(store, "nd2:near_duplicate:g", last, "CALLERTAG" + m, false);
        }

        assertThat(store.evictedForRoom()).as("indexes forgotten whole to make room").isZero();
        for (int v = 0; v < 20; v++) {
            assertThat(add(store, "nd2:near_duplicate:c:victim" + v, earlier[v], "again", true).shared())
                    .as("victim %s's last query is still in its index", v).isEqualTo(50);
        }
        assertThat(add(store, "nd2:near_duplicate:c:mallory", last, "again", true).shared())
                .as("the flooder's own latest query is still in its index").isEqualTo(50);
    }
}

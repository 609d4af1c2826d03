package dev.veil.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.veil.spi.StateOp;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The primitive fingerprint index against the plain model it replaces (and the Redis store keeps):
 * one list of members per hash, read, appended to and trimmed per hash in order, members counted
 * by string, the first to reach the highest count winning, and a hash's list expiring together
 * {@code ttl} after its last write.
 */
class FingerprintIndexTest {
    private static final long HOUR = 3_600_000_000_000L;
    /** Distinct strings with one hash code ("Aa" and "BB" hash alike, and so do their concatenations). */
    private static final String[] COLLIDING = {"AaAa", "AaBB", "BBAa", "BBBB"};

    /** The reference: one list per hash with the time of its last write. */
    private static final class Model {
        final Map<Long, ArrayDeque<String>> lists = new HashMap<>();
        final Map<Long, Long> deadline = new HashMap<>();

        StateOp.FingerprintMatch add(long[] hashes, String member, int max, long ttl, long now) {
            Map<String, Integer> shared = new HashMap<>();
            String best = "";
            int bestCount = 0;
            for (long h : hashes) {
                if (deadline.containsKey(h) && deadline.get(h) - now <= 0) {
                    lists.remove(h);
                }
                ArrayDeque<String> l = lists.computeIfAbsent(h, k -> new ArrayDeque<>());
                List<String> before = new ArrayList<>(l);
                l.addLast(member);
                while (l.size() > max) {
                    l.removeFirst();
                }
                deadline.put(h, now + ttl);
                for (String m : before) {
                    if (m.equals(member)) {
                        continue;
                    }
                    int n = shared.merge(m, 1, Integer::sum);
                    if (n > bestCount) {
                        bestCount = n;
                        best = m;
                    }
                }
            }
            return bestCount == 0 ? StateOp.FingerprintMatch.NONE : new StateOp.FingerprintMatch(best, bestCount);
        }
    }

    /**
     * Random streams over a few hash values (repeats within one fingerprint, negative values,
     * members that recur), varying bounds per operation and time that jumps past the time to live:
     * every answer equals the model's.
     */
    @Test
    void shouldAnswerExactlyAsOneListPerHash() {
        qt().withExamples(300).forAll(longs().all(), integers().between(1, 400), integers().between(1, 40))
                .checkAssert((seed, ops, hashRange) -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
                    FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
                    Model model = new Model();
                    long now = r.nextLong();
                    for (int i = 0; i < ops; i++) {
                        long[] hashes = new long[r.nextInt(1 + r.nextInt(60))];
                        for (int j = 0; j < hashes.length; j++) {
                            hashes[j] = r.nextInt(hashRange) - hashRange / 3;
                        }
                        // recurring members, and distinct members with equal String hash codes
                        int kind = r.nextInt(6);
                        String member = kind == 0 ? "m" + r.nextInt(5)
                                : kind == 1 ? COLLIDING[r.nextInt(COLLIDING.length)] : "q" + i;
                        now = addToBoth(r, index, scratch, model, now, hashes, member, i);
                    }
                });
    }

    /**
     * Operation {@code op} on the index and on the model, with a random bound per hash, time to live
     * and step of time: both must answer alike, and the table must keep its invariants. Returns the
     * new time.
     */
    private static long addToBoth(SplittableRandom r, FingerprintIndex index, FingerprintIndex.Scratch scratch,
            Model model, long now, long[] hashes, String member, int op) {
        int max = 1 + r.nextInt(r.nextBoolean() ? 3 : 12);
        long ttl = 1 + r.nextInt(1000);
        now += r.nextInt(10) == 0 ? r.nextInt(2000) : r.nextInt(3);
        StateOp.FingerprintMatch want = model.add(hashes, member, max, ttl, now);
        StateOp.FingerprintMatch got = index.add(hashes.clone(), member, max, ttl, now, scratch);
        assertThat(got).as("op %d", op).isEqualTo(want);
        index.checkTable();
        return now;
    }

    /** The hash whose mixed value ({@link FingerprintIndex#mix}) is {@code g}: SplitMix64's finaliser inverted. */
    private static long unmix(long g) {
        long z = g ^ (g >>> 31) ^ (g >>> 62);
        z *= 0x319642B2D24D8EC3L;
        z = z ^ (z >>> 27) ^ (z >>> 54);
        z *= 0x96DE1B173F119089L;
        long h = z ^ (z >>> 30) ^ (z >>> 60);
        assertThat(FingerprintIndex.mix(h)).as("unmix(%x)", g).isEqualTo(g);
        return h;
    }

    /**
     * A hash drawn from {@code his.length * los} hashes whose mixed values share their high halves in
     * groups of {@code los}: entries that only the low half tells apart.
     */
    private static long sharedHighHalf(SplittableRandom r, int[] his, int los) {
        long hi = his[r.nextInt(his.length)];
        return unmix(hi << 32 | (0x9E3779B9L * (1 + r.nextInt(los)) & 0xFFFFFFFFL));
    }

    /**
     * Hashes whose mixed values share their high half (which the table keys on) but not their low
     * half, with recurring members and time past the time to live: every answer equals the model's,
     * and the table keeps its invariant that a high half not marked mixed has one low half.
     */
    @Test
    void shouldAnswerAsOneListPerHashWhenHashesShareTheirHighHalf() {
        qt().withExamples(150).forAll(longs().all(), integers().between(1, 300)).checkAssert((seed, ops) -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] his = new int[1 + r.nextInt(4)];
            for (int k = 0; k < his.length; k++) {
                his[k] = r.nextInt();
            }
            int los = 2 + r.nextInt(5);
            FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
            FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
            Model model = new Model();
            long now = r.nextLong();
            for (int i = 0; i < ops; i++) {
                long[] hashes = new long[r.nextInt(1 + r.nextInt(30))];
                for (int j = 0; j < hashes.length; j++) {
                    hashes[j] = r.nextInt(4) == 0 ? r.nextInt(50) : sharedHighHalf(r, his, los);
                }
                String member = r.nextInt(4) == 0 ? "m" + r.nextInt(5) : "q" + i;
                now = addToBoth(r, index, scratch, model, now, hashes, member, i);
            }
        });
    }

    /**
     * The same under a small cap, so that queries are forgotten, their dead entries taken over and
     * the table rebuilt (which keeps only the high halves still mixed): every answer equals the
     * model's with the forgotten queries removed.
     */
    @Test
    void shouldAnswerAsTheModelUnderItsCapWhenHashesShareTheirHighHalf() {
        qt().withExamples(30).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] his = new int[1 + r.nextInt(8)];
            for (int k = 0; k < his.length; k++) {
                his[k] = r.nextInt();
            }
            int los = 2 + r.nextInt(5);
            FingerprintIndex index = new FingerprintIndex(20_000 + r.nextInt(40_000));
            FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
            Model model = new Model();
            long forgotten = 0;
            boolean sawMixed = false;
            for (int i = 0; i < 1200; i++) {
                for (; forgotten < index.oldest(); forgotten++) {
                    String m = "q" + forgotten;
                    model.lists.values().forEach(l -> l.removeIf(m::equals));
                }
                long[] hashes = new long[1 + r.nextInt(40)];
                for (int j = 0; j < hashes.length; j++) {
                    hashes[j] = r.nextInt(3) == 0 ? sharedHighHalf(r, his, los) : r.nextInt(3000);
                }
                int max = 1 + r.nextInt(12);
                StateOp.FingerprintMatch want = model.add(hashes, "q" + i, max, HOUR, 0);
                StateOp.FingerprintMatch got = index.add(hashes.clone(), "q" + i, max, HOUR, 0, scratch);
                assertThat(got).as("op %d", i).isEqualTo(want);
                index.checkTable();
                sawMixed |= index.mixedCount() > 0;
            }
            assertThat(sawMixed).as("high halves marked mixed").isTrue();
        });
    }

    /**
     * A high half is marked mixed when a second hash's entry joins the first's, stays marked while
     * both have live entries (through rebuilds), and is unmarked by the first rebuild after one of
     * them is gone.
     */
    @Test
    void shouldKeepOnlyTheHighHalvesStillMixedWhenTheTableIsRebuilt() {
        long a = unmix(0x12345678_00000001L);
        long b = unmix(0x12345678_00000002L);
        FingerprintIndex index = new FingerprintIndex(200_000);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        index.add(new long[] {a}, "first", 8, HOUR, 0, scratch);
        index.add(new long[] {a}, "second", 8, HOUR, 0, scratch);
        assertThat(index.mixedCount()).as("one hash").isZero();
        assertThat(index.add(new long[] {b}, "third", 8, HOUR, 0, scratch)).as("b matches no entry of a")
                .isEqualTo(StateOp.FingerprintMatch.NONE);
        assertThat(index.mixedCount()).as("a and b").isEqualTo(1);
        assertThat(index.add(new long[] {a, b}, "fourth", 8, HOUR, 0, scratch))
                .isEqualTo(new StateOp.FingerprintMatch("first", 1));
        SplittableRandom r = new SplittableRandom(5);
        int i = 0;
        int tables = 0;
        for (int length = index.tableLength(); index.oldest() < 4; i++) { // until the four are forgotten
            long[] h = new long[50];
            for (int j = 0; j < h.length; j++) {
                h[j] = r.nextLong();
            }
            index.add(h, "q" + i, 8, HOUR, 0, scratch);
            if (index.tableLength() != length) {
                length = index.tableLength();
                tables++;
                if (index.oldest() < 3) {
                    assertThat(index.mixedCount()).as("rebuilt while a and b live").isEqualTo(1);
                }
            }
        }
        assertThat(tables).as("rebuilds while a and b were live").isPositive();
        long[] h = new long[50];
        for (int n = 0; index.mixedCount() > 0; n++) { // until the table is next rebuilt
            assertThat(n).as("queries added before a rebuild").isLessThan(100_000);
            for (int j = 0; j < h.length; j++) {
                h[j] = r.nextLong();
            }
            index.add(h.clone(), "q" + i++, 8, HOUR, 0, scratch);
        }
        index.checkTable();
    }

    /** Many distinct members share hashes with one query (the hash-map path of the counting). */
    @Test
    void shouldCountManyCandidatesAsTheModel() {
        SplittableRandom r = new SplittableRandom(7);
        FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        Model model = new Model();
        for (int i = 0; i < 3000; i++) {
            long[] hashes = new long[50];
            for (int j = 0; j < hashes.length; j++) {
                hashes[j] = r.nextInt(400);
            }
            assertThat(index.add(hashes.clone(), "q" + i, 8, HOUR, 0, scratch)).as("op %d", i)
                    .isEqualTo(model.add(hashes, "q" + i, 8, HOUR, 0));
        }
    }

    /** Realistic fingerprints (64-bit hashes, 50 a query) at scale: the table grows, answers stay exact. */
    @Test
    void shouldStayExactWhileTheTableGrows() {
        SplittableRandom r = new SplittableRandom(11);
        FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        Model model = new Model();
        long[] previous = new long[50];
        for (int i = 0; i < 5000; i++) {
            long[] hashes = new long[50];
            for (int j = 0; j < hashes.length; j++) {
                // a third of the queries are near copies of the one before
                hashes[j] = i % 3 == 0 && r.nextInt(5) > 0 ? previous[j] : r.nextLong();
            }
            previous = hashes;
            assertThat(index.add(hashes.clone(), "q" + i, 8, HOUR, i, scratch)).as("op %d", i)
                    .isEqualTo(model.add(hashes, "q" + i, 8, HOUR, i));
        }
    }

    /**
     * Under a byte cap the index forgets its oldest queries first and stays within the cap; what it
     * still remembers answers as the model restricted to the remembered queries would.
     */
    @Test
    void shouldForgetOldestQueriesFirstUnderItsCap() {
        long cap = 200_000;
        FingerprintIndex index = new FingerprintIndex(cap);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        SplittableRandom r = new SplittableRandom(3);
        long[][] all = new long[2000][];
        for (int i = 0; i < all.length; i++) {
            all[i] = new long[50];
            for (int j = 0; j < 50; j++) {
                all[i][j] = r.nextLong();
            }
            index.add(all[i], "q" + i, 8, HOUR, 0, scratch);
            assertThat(index.bytes()).isLessThanOrEqualTo(cap);
        }
        // a copy of the newest query matches it; a copy of the first one finds nothing any more
        assertThat(index.add(all[1999].clone(), "new", 8, HOUR, 0, scratch))
                .isEqualTo(new StateOp.FingerprintMatch("q1999", 50));
        assertThat(index.add(all[0].clone(), "old", 8, HOUR, 0, scratch)).isEqualTo(StateOp.FingerprintMatch.NONE);
    }

    /**
     * Under a small byte cap the index forgets a query for about every one it adds (a few hundred
     * remembered, over hash values that many of them share), so that new entries are placed among
     * the dead entries of forgotten queries (and take their slots): every answer equals the model's
     * with the forgotten queries removed from its lists (every copy: a query may repeat a hash).
     */
    @Test
    void shouldAnswerAsTheModelOfTheQueriesItStillRemembersUnderItsCap() {
        qt().withExamples(40).forAll(longs().all(), integers().between(500, 5000)).checkAssert((seed, hashRange) -> {
            SplittableRandom r = new SplittableRandom(seed);
            FingerprintIndex index = new FingerprintIndex(20_000 + r.nextInt(40_000));
            FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
            Model model = new Model();
            long forgotten = 0;
            int evicted = 0;
            for (int i = 0; i < 1500; i++) {
                for (; forgotten < index.oldest(); forgotten++) { // queries the index forgot since
                    String m = "q" + forgotten;
                    model.lists.values().forEach(l -> l.removeIf(m::equals));
                    evicted++;
                }
                long[] hashes = new long[1 + r.nextInt(40)];
                for (int j = 0; j < hashes.length; j++) {
                    hashes[j] = r.nextInt(hashRange);
                }
                int max = 1 + r.nextInt(12);
                StateOp.FingerprintMatch want = model.add(hashes, "q" + i, max, HOUR, 0);
                StateOp.FingerprintMatch got = index.add(hashes.clone(), "q" + i, max, HOUR, 0, scratch);
                assertThat(got).as("op %d", i).isEqualTo(want);
                index.checkTable(); // dead entries taken over by insertions, and purged by rebuilds
            }
            assertThat(evicted).as("queries forgotten").isGreaterThan(1000);
        });
    }

    /**
     * Tables grow through sizes of the quarter-step sequence from the smallest table only, two steps
     * at once while small, one beyond: a big index has the sizes growing by a quarter gives.
     */
    @Test
    void shouldGrowThroughTheQuarterStepSizes() {
        java.util.Set<Integer> quarterSteps = new java.util.HashSet<>();
        for (int c = FingerprintIndex.MIN_TABLE; c > 0 && c < 1 << 28; c += c >> 2) {
            quarterSteps.add(c);
        }
        for (int c = FingerprintIndex.MIN_TABLE; c < 1 << 27; c = FingerprintIndex.grown(c)) {
            assertThat(quarterSteps).as("size %d", c).contains(c);
            int next = FingerprintIndex.grown(c);
            assertThat(next).as("after %d", c).isEqualTo(c < FingerprintIndex.SMALL_TABLE
                    ? c + (c >> 2) + ((c + (c >> 2)) >> 2) : c + (c >> 2));
        }
        // an index filled one query at a time visits only those sizes, and its table stays in order
        FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        SplittableRandom r = new SplittableRandom(21);
        java.util.Set<Integer> seen = new java.util.TreeSet<>();
        for (int i = 0; i < 3000; i++) {
            long[] h = new long[50];
            for (int j = 0; j < h.length; j++) {
                h[j] = r.nextLong();
            }
            index.add(h, "q" + i, 8, HOUR, 0, scratch);
            seen.add(index.tableLength());
        }
        index.checkTable();
        assertThat(quarterSteps).containsAll(seen);
        assertThat(seen).as("grew past the small sizes").anyMatch(c -> c > FingerprintIndex.SMALL_TABLE);
    }

    /** Dropping entries beyond max members per hash frees a query all of whose entries went. */
    @Test
    void shouldFreeQueriesWhoseEntriesWereAllDropped() {
        FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        long[] h = new long[50];
        for (int j = 0; j < 50; j++) {
            h[j] = j * 1_000_003L;
        }
        index.add(h.clone(), "q0", 1, HOUR, 0, scratch);
        long one = index.bytes();
        for (int i = 1; i < 1000; i++) {
            index.add(h.clone(), "q" + i, 1, HOUR, 0, scratch);
        }
        assertThat(index.bytes()).as("the same 50 hashes with one member each: one query's worth").isEqualTo(one);
    }

    @Test
    void shouldTellApartMembersWhoseHashCodesCollide() {
        assertThat(Arrays.stream(COLLIDING).mapToInt(String::hashCode).distinct().count()).isEqualTo(1);
        FingerprintIndex index = new FingerprintIndex(Long.MAX_VALUE);
        FingerprintIndex.Scratch scratch = new FingerprintIndex.Scratch();
        index.add(new long[] {1, 2, 3}, "AaAa", 8, HOUR, 0, scratch);
        index.add(new long[] {1, 2}, "BBBB", 8, HOUR, 0, scratch);
        index.add(new long[] {3}, "AaAa", 8, HOUR, 0, scratch);
        // AaAa shares 1, 2, 3 and 3 again; BBBB shares 1, 2
        assertThat(index.add(new long[] {1, 2, 3}, "AaBB", 8, HOUR, 0, scratch))
                .isEqualTo(new StateOp.FingerprintMatch("AaAa", 4));
        // the operation's own member is not counted, a colliding other member is
        assertThat(index.add(new long[] {1, 2}, "BBBB", 8, HOUR, 0, scratch))
                .isEqualTo(new StateOp.FingerprintMatch("AaAa", 2));
    }

    @Test
    void shouldRefuseFingerprintsWithTooManyHashes() {
        assertThatThrownBy(() -> new StateOp.Fingerprint("i", new long[1025], "m", 1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a fingerprint has at most 1024 hashes, was 1025");
    }
}

package dev.veil.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.veil.spi.StateOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.quicktheories.core.Gen;

/**
 * Properties of a fingerprint index in Redis (batch.lua, ops.F: query numbers, buckets split by
 * linear hashing, swept, and groups of 64 queries deleted whole), for any stream of queries:
 *
 * <ul>
 *   <li>it answers as one list of members per hash that forgets every query older than the index's
 *       last {@code cap} (the {@link Model} below, a dozen lines): the buckets' splits and sweeps
 *       never lose a remembered query nor bring back a forgotten one;
 *   <li>its entries stay within its bound: at most {@code cap} queries' hashes, plus those of the
 *       queries forgotten since the sweep last passed their bucket (a sweep visits 4 buckets a query);
 *   <li>its meta string, which numbers the queries, lives at least as long as any key of the index.
 * </ul>
 *
 * Each example is a stream of up to 400 queries of 1 to 30 hashes drawn from a small pool (so that
 * queries share hashes, ties included, and a hash recurs within one query), from a few members (so
 * that equal members of different queries count as one), with a bound of 1 to 60 queries and 1 to
 * 4 members kept per hash. Hashes differ in their low bits (bucket addresses) and high ones alike.
 */
class FingerprintIndexPropertiesTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static final long TTL = 3_600_000;
    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    /** One query of the stream: indexes into the pool of hashes, a member, and the hashes' count. */
    record Query(int seed, int member, int hashes) {}

    record Stream(int cap, int maxMembers, int pool, List<Query> queries) {}

    private static Gen<Stream> streams() {
        Gen<Query> q = integers().between(0, Integer.MAX_VALUE - 1)
                .zip(integers().between(0, 5), integers().between(1, 30), Query::new);
        return integers().between(1, 60).zip(integers().between(1, 4), integers().between(8, 300),
                lists().of(q).ofSizeBetween(1, 400), Stream::new);
    }

    /** The pool's hashes: full 64-bit values, seeded. */
    private static long[] pool(int size) {
        SplittableRandom r = new SplittableRandom(size);
        long[] p = new long[size];
        for (int i = 0; i < size; i++) {
            p[i] = r.nextLong();
        }
        return p;
    }

    private static long[] hashes(Query q, long[] pool) {
        SplittableRandom r = new SplittableRandom(q.seed());
        long[] h = new long[q.hashes()];
        for (int i = 0; i < h.length; i++) {
            h[i] = pool[r.nextInt(pool.length)];
        }
        return h;
    }

    /** What the index must answer: one list of query numbers per hash, queries older than the last cap forgotten. */
    static final class Model {
        private final int cap;
        private final Map<Long, List<Long>> lists = new HashMap<>();
        private final Map<Long, String> members = new HashMap<>();
        private long s;

        Model(int cap) {
            this.cap = cap;
        }

        StateOp.FingerprintMatch add(long[] hashes, String member, int max) {
            s++;
            long head = s - cap + 1;
            members.put(s, member);
            Map<String, Integer> shared = new HashMap<>();
            String best = "";
            int bestN = 0;
            for (long h : hashes) {
                List<Long> kept = new ArrayList<>();
                for (long x : lists.getOrDefault(h, List.of())) {
                    if (x >= head) {
                        kept.add(x);
                        String m = members.get(x);
                        if (x != s && !m.equals(member)) {
                            int c = shared.merge(m, 1, Integer::sum);
                            if (c > bestN) {
                                bestN = c;
                                best = m;
                            }
                        }
                    }
                }
                kept.add(s);
                lists.put(h, new ArrayList<>(kept.subList(Math.max(0, kept.size() - max), kept.size())));
            }
            return bestN == 0 ? StateOp.FingerprintMatch.NONE : new StateOp.FingerprintMatch(best, bestN);
        }
    }

    @Test
    void anIndexAnswersAsListsThatForgetBeyondItsBoundAndStaysWithinIt() {
        qt().withExamples(40).withShrinkCycles(60).forAll(streams()).checkAssert(this::check);
    }

    private void check(Stream st) {
        String ns = "fp" + NAMESPACES.incrementAndGet() + ":";
        long[] pool = pool(st.pool());
        Model model = new Model(st.cap());
        List<Integer> recent = new ArrayList<>(); // hash counts of the queries, oldest first
        try (RedisStateStore s = RedisStateStore.builder(REDIS.url()).namespace(ns).timeout(Duration.ofSeconds(5))
                .fingerprintIndexQueries(st.cap(), st.cap()).build()) {
            for (int i = 0; i < st.queries().size(); i++) {
                Query q = st.queries().get(i);
                long[] h = hashes(q, pool);
                String member = "m" + q.member();
                Object got = s.execute(new StateOp.Fingerprint("i", h, member, st.maxMembers(), TTL, true))[0];
                assertThat(got).as("query %s of %s", i, st).isEqualTo(model.add(h, member, st.maxMembers()));
                recent.add(h.length);
                if (i % 25 == 24 || i == st.queries().size() - 1) {
                    assertWithinBound(ns + "f:i:", st.cap(), recent);
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * At most the hashes of the last cap queries plus those forgotten since a sweep could last have
     * passed their bucket: buckets / 4 queries (rounded up), and one more for the query being added.
     */
    private static void assertWithinBound(String prefix, int cap, List<Integer> hashCounts) throws Exception {
        String[] meta = REDIS.command("GET", prefix + "m").split(" ");
        long buckets = (1L << Integer.parseInt(meta[1])) + Long.parseLong(meta[2]);
        long lag = (buckets + 3) / 4 + 1;
        long bound = 0;
        for (int i = Math.max(0, (int) (hashCounts.size() - cap - lag)); i < hashCounts.size(); i++) {
            bound += hashCounts.get(i);
        }
        String[] r = REDIS.command("EVAL", """
                local meta = redis.call('PTTL', ARGV[1] .. 'm')
                local fields, groups, longest, forever = 0, 0, -3, 0
                for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do
                  if k ~= ARGV[1] .. 'm' then
                    local t = redis.call('PTTL', k)
                    if t > longest then longest = t end
                    if t < 0 then forever = forever + 1 end
                    if string.sub(k, #ARGV[1] + 1, #ARGV[1] + 1) == 'h' then fields = fields + redis.call('HLEN', k)
                    else groups = groups + 1 end
                  end
                end
                return {meta, longest, fields, groups, forever}
                """, "0", prefix).split("\n");
        long metaTtl = Long.parseLong(r[0].trim());
        long longest = Long.parseLong(r[1].trim());
        assertThat(metaTtl).as("the meta string's time to live against the longest other")
                .isGreaterThanOrEqualTo(longest);
        assertThat(Long.parseLong(r[4].trim())).as("keys of the index without a time to live").isZero();
        assertThat(Long.parseLong(r[2].trim())).as("fields of %s buckets, cap %s", buckets, cap)
                .isLessThanOrEqualTo(bound);
        assertThat(Long.parseLong(r[3].trim())).as("groups of 64 queries, cap %s", cap)
                .isLessThanOrEqualTo(cap / 64 + 2);
    }
}

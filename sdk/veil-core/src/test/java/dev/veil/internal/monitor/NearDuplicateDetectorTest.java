package dev.veil.internal.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.AuthMethod;
import dev.veil.Caller;
import dev.veil.Level;
import dev.veil.Signal;
import dev.veil.internal.monitor.traffic.SyntheticDigits;
import dev.veil.internal.state.MemoryStateStore;
import dev.veil.internal.state.StateKeys;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NearDuplicateDetectorTest {
    private static final long T = 1_700_000_000_000L;

    static NearDuplicateDetector detector(Object... keyValues) {
        Map<String, Object> m = DetectorHarness.config(keyValues);
        return new NearDuplicateDetector("near_duplicate", NearDuplicateDetector.Config.from(m));
    }

    static DetectorHarness harness(StatefulDetector d) {
        return new DetectorHarness(new MemoryStateStore(16 << 20, Clock.systemUTC(), 1000), d);
    }

    static double[] image(long seed) {
        return SyntheticDigits.sample(new SplittableRandom(seed));
    }

    /** x + N(0, sigma) per pixel, clipped to [0, 1]. */
    static double[] perturb(double[] x, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.max(0, Math.min(1, x[i] + sigma * SyntheticDigits.gaussian(r)));
        }
        return y;
    }

    static int shared(long[] a, long[] b) {
        long[] sb = b.clone();
        Arrays.sort(sb);
        int n = 0;
        for (long h : a) {
            n += Arrays.binarySearch(sb, h) >= 0 ? 1 : 0;
        }
        return n;
    }

    @Test
    void shouldReadDefaultsAndEveryKey() {
        assertThat(NearDuplicateDetector.Config.from(Map.of())).isEqualTo(NearDuplicateDetector.Config.DEFAULT);
        Map<String, Object> all = new HashMap<>();
        all.put("type", "near_duplicate");
        all.put("index", "caller");
        all.put("window", 10);
        all.put("step", 2);
        all.put("quantum", 25);
        all.put("keep", 40);
        all.put("seed", 1L);
        all.put("max_members_per_hash", 4);
        all.put("ttl_seconds", 60);
        all.put("low", 10);
        all.put("medium", 0);
        all.put("high", 40);
        assertThat(NearDuplicateDetector.Config.from(all)).isEqualTo(new NearDuplicateDetector.Config(
                NearDuplicateDetector.Index.CALLER, 10, 2, 25, 40, 1, 4, 60, 10, 0, 40));
    }

    @Test
    void shouldRefuseBadConfiguration() {
        assertThatThrownBy(() -> detector("hi", 30)).hasMessage("unknown key(s) [hi] for detector 'near_duplicate' "
                + "(known keys: [high, index, keep, low, max_members_per_hash, medium, quantum, seed, step, thresholds, ttl_seconds, "
                + "type, window])");
        assertThatThrownBy(() -> detector("window", "20")).hasMessage("window must be an integer, was '20'");
        assertThatThrownBy(() -> detector("quantum", 0)).hasMessage("quantum must be in [1, 255], was 0");
        assertThatThrownBy(() -> detector("keep", 300)).hasMessage("keep must be in [1, 256], was 300");
        assertThatThrownBy(() -> detector("window", 0)).hasMessage("window must be in [1, 4096], was 0");
        assertThatThrownBy(() -> detector("step", 0)).hasMessage("step must be in [1, 4096], was 0");
        assertThatThrownBy(() -> detector("max_members_per_hash", 0))
                .hasMessage("max_members_per_hash must be in [1, 1000], was 0");
        assertThatThrownBy(() -> detector("ttl_seconds", 0)).hasMessage("ttl_seconds must be in [1, 604800], was 0");
        assertThatThrownBy(() -> detector("index", "everyone"))
                .hasMessage("index must be caller, global or both, was 'everyone'");
        assertThatThrownBy(() -> detector("high", 60))
                .hasMessage("high must be 0 (not used) or in [1, keep (50)] (shared hashes), was 60");
        assertThatThrownBy(() -> detector("low", 30, "medium", 20))
                .hasMessage("thresholds must not decrease: low <= medium <= high (shared hashes), was 30, 20, 30 (a level left out keeps its default, listed in docs/veil-policy.schema.json; set it to 0 to leave it unused)");
        assertThatThrownBy(() -> detector("low", 0, "medium", 0, "high", 0))
                .hasMessage("set at least one of low, medium, high");
        assertThatThrownBy(() -> detector("seed", 1.5)).hasMessage("seed must be an integer, was 1.5");
        assertThatThrownBy(() -> detector("keep", 5_000_000_000L))
                .hasMessage("keep must be an integer between -2147483648 and 2147483647, was 5000000000");
    }

    @Test
    void shouldFingerprintSmallPerturbationsAlikeAndDifferentImagesApart() {
        NearDuplicateDetector d = detector();
        double[] x = image(1);
        long[] fx = d.fingerprint(x);
        assertThat(fx).hasSize(50).doesNotHaveDuplicates();
        assertThat(d.fingerprint(x.clone())).isEqualTo(fx);
        assertThat(shared(fx, d.fingerprint(perturb(x, 0.001, 2)))).isGreaterThanOrEqualTo(35);
        assertThat(shared(fx, d.fingerprint(image(3)))).isLessThan(20);
        assertThat(shared(fx, detector("seed", 1).fingerprint(x))).as("another seed, other hashes").isLessThan(5);
    }

    @Test
    void shouldLeaveBlankWindowsOut() {
        NearDuplicateDetector d = detector();
        assertThat(d.fingerprint(new double[784])).isEmpty();
        double[] white = new double[784];
        Arrays.fill(white, 1.0);
        assertThat(d.fingerprint(white)).as("1 quantises like 0").isEmpty();
        double[] dot = new double[784];
        dot[400] = 0.5;
        assertThat(d.fingerprint(dot).length).as("windows over one pixel").isBetween(1, 20);
        DetectorHarness h = harness(d);
        assertThat(h.observe("a", T, new double[784])[0]).isEqualTo(new Signal("near_duplicate", Level.NONE, 0));
        assertThat(h.observe("a", T + 1, new double[784])[0].score()).isZero();
    }

    @Test
    void shouldFlagSmallPerturbationsOfTheCallersOwnQueries() {
        DetectorHarness h = harness(detector());
        double[] x = image(4);
        assertThat(h.observe("a", T, x)[0].score()).isZero();
        Signal s = h.observe("a", T + 1000, perturb(x, 0.001, 5))[0];
        assertThat(s.score()).isGreaterThanOrEqualTo(40);
        assertThat(s.level()).isEqualTo(Level.HIGH);
        assertThat(h.observe("a", T + 2000, image(6))[0].level()).isEqualTo(Level.NONE);
    }

    @Test
    void shouldNotCountExactRetriesNorLetThemInflateLaterMatches() {
        double[] x = image(7);
        double[] near = perturb(x, 0.02, 8);
        DetectorHarness once = harness(detector());
        once.observe("a", T, x);
        double withoutRetries = once.observe("a", T + 5000, near)[0].score();

        DetectorHarness retried = harness(detector());
        retried.observe("a", T, x);
        for (int i = 1; i <= 5; i++) {
            Signal s = retried.observe("a", T + i * 500, x.clone())[0];
            assertThat(s.score()).as("retry %d", i).isZero();
            assertThat(s.level()).isEqualTo(Level.NONE);
        }
        assertThat(retried.observe("a", T + 5000, near)[0].score()).isEqualTo(withoutRetries);
    }

    @Test
    void shouldFlagProbesForgedToHashAsTheQueryTheyProbe() {
        // Probes moved by a few units in the last place so that the hash which recognised copies
        // before CopyHash (a polynomial one) took each for a copy of x, and the detector let it off.
        double[] x = CopyHashTest.image(4);
        DetectorHarness h = harness(detector());
        h.observe("a", T, x);
        Signal own = h.observe("a", T + 1000, PolynomialCollisions.forge(x, CopyHashTest.probe(x, 0.001, 5)))[0];
        assertThat(own.level()).as("the caller's own index").isEqualTo(Level.HIGH);
        DetectorHarness global = harness(detector("index", "global"));
        global.observe("a", T, x);
        Signal other = global.observe("b", T + 1000, PolynomialCollisions.forge(x, CopyHashTest.probe(x, 0.001, 6)))[0];
        assertThat(other.level()).as("the global index, another account").isEqualTo(Level.HIGH);
    }

    @Test
    void shouldSeeAnAttackSpreadOverAccountsThroughTheGlobalIndex() {
        DetectorHarness h = harness(detector());
        double[] x = image(9);
        h.observe("acct-1", T, x);
        Signal s = h.observe("acct-2", T + 1000, perturb(x, 0.001, 10))[0];
        assertThat(s.level()).isEqualTo(Level.HIGH);

        DetectorHarness callerOnly = harness(detector("index", "caller"));
        callerOnly.observe("acct-1", T, x);
        assertThat(callerOnly.observe("acct-2", T + 1000, perturb(x, 0.001, 10))[0].score()).isZero();
    }

    @Test
    void shouldCountOnlyOtherCallersInTheGlobalIndex() {
        DetectorHarness h = harness(detector("index", "global"));
        double[] x = image(11);
        h.observe("a", T, x);
        assertThat(h.observe("a", T + 1000, perturb(x, 0.001, 12))[0].score()).as("own query").isZero();
        assertThat(h.observe("b", T + 2000, perturb(x, 0.001, 13))[0].score()).as("another caller's")
                .isGreaterThanOrEqualTo(40);
    }

    /**
     * Two account names chosen to share the 40-bit seeded caller tag that marked a caller's own
     * queries in the global index before (found by a birthday search under the default seed): each
     * account's queries were taken for the other's own and not counted. The tag is now 96 bits of
     * SHA-256, and the second account's near copy counts.
     */
    @Test
    void shouldTellApartAccountsChosenToShareAShortCallerHash() {
        String first = StateKeys.of(acme("user331458"));
        String second = StateKeys.of(acme("user554512"));
        long seed = NearDuplicateDetector.Config.DEFAULT.seed();
        assertThat(oldCallerHash(first, seed) >>> 24).as("the old tags collide")
                .isEqualTo(oldCallerHash(second, seed) >>> 24);
        assertThat(NearDuplicateDetector.callerTag(first)).isNotEqualTo(NearDuplicateDetector.callerTag(second))
                .matches("[A-Za-z0-9_-]{16}");

        DetectorHarness h = harness(detector("index", "global"));
        double[] x = image(15);
        h.observe(acme("user331458"), T, perturb(x, 0.001, 16));
        assertThat(h.observe(acme("user554512"), T + 10_000, x)[0].level()).isEqualTo(Level.HIGH);
    }

    /** Members are fixed-width fields with no separator: each field's width is exact, and the time wraps. */
    @Test
    void shouldWriteMemberFieldsAtTheirFixedWidth() {
        assertThat(NearDuplicateDetector.base64(0, 7)).isEqualTo("AAAAAAA");
        assertThat(NearDuplicateDetector.base64(-1, 8)).isEqualTo("________");
        assertThat(NearDuplicateDetector.base64(63, 2)).isEqualTo("A_");
        assertThat(NearDuplicateDetector.base64(1L << 42, 7)).as("2^42 ms wraps").isEqualTo("AAAAAAA");
        assertThat(NearDuplicateDetector.base64(1_764_547_200_000L, 7)).hasSize(7);
        assertThat(NearDuplicateDetector.callerTag("")).hasSize(NearDuplicateDetector.CALLER_CHARS);
    }

    /**
     * State written by an earlier version: members of another format (base-36 fields with '@' and
     * '.') in the index an exact retry is matched against. Read as members of this format they were
     * never this vector's, so the retry counted all its hashes and a review's client was blocked for
     * a day. The indexes now have keys of their own ("nd2:"), and a member of another length never
     * counts.
     */
    @Test
    void shouldNotCountMembersOfAnotherFormatAgainstAnExactRetry() {
        NearDuplicateDetector d = detector();
        MemoryStateStore store = new MemoryStateStore(16 << 20, Clock.systemUTC(), 1000);
        double[] x = image(17);
        java.util.List<dev.veil.spi.StateOp> ops = new java.util.ArrayList<>();
        d.plan(new dev.veil.spi.Query(acme("alice"), T, dev.veil.Features.of(x)), ops);
        assertThat(ops).allSatisfy(op -> assertThat(((dev.veil.spi.StateOp.Fingerprint) op).index())
                .startsWith("nd2:near_duplicate:"));
        long[] hashes = d.fingerprint(x);
        for (dev.veil.spi.StateOp op : ops) {
            String index = ((dev.veil.spi.StateOp.Fingerprint) op).index();
            String old = index.endsWith(":g") ? "2oqmxuho.a140slbl@mx44tr4q" : "a140slbl@mx44tr4q";
            store.execute(new dev.veil.spi.StateOp.Fingerprint(index, hashes, old, 8, 3_600_000));
        }
        DetectorHarness h = new DetectorHarness(store, d);
        assertThat(h.observe(acme("alice"), T + 1000, x.clone())[0].level()).isEqualTo(Level.NONE);
    }

    /** The seeded string hash whose top 40 bits were the caller tag before. */
    private static long oldCallerHash(String s, long seed) {
        long h = QueryHashing.mix(seed ^ s.length());
        for (int i = 0; i < s.length(); i++) {
            h = (h + s.charAt(i)) * QueryHashing.GOLDEN;
            h ^= h >>> 29;
        }
        return QueryHashing.mix(h);
    }

    private static Caller acme(String id) {
        return new Caller(id, AuthMethod.API_KEY, Set.of("analyst"), "acme", Map.of());
    }

    @Test
    void shouldNotCountThePopularInputSentByManyCallers() {
        DetectorHarness h = harness(detector());
        double[] popular = image(14);
        for (int c = 0; c < 20; c++) {
            Signal s = h.observe("caller-" + c, T + c * 1000L, popular.clone())[0];
            assertThat(s.level()).as("caller %d", c).isEqualTo(Level.NONE);
        }
    }

    @Test
    void shouldBoundEveryFingerprintByKeep() {
        NearDuplicateDetector d = detector("keep", 7, "low", 3, "medium", 5, "high", 7);
        SplittableRandom r = new SplittableRandom(15);
        for (int i = 0; i < 50; i++) {
            double[] x = new double[1 + r.nextInt(2000)];
            for (int j = 0; j < x.length; j++) {
                x[j] = r.nextDouble();
            }
            assertThat(d.fingerprint(x).length).isLessThanOrEqualTo(7);
        }
    }

    /** {@link NearDuplicateDetector#largest} with every value used. */
    private static long[] largestOfAll(long[] v, int keep) {
        int[] used = new int[v.length];
        Arrays.fill(used, 1);
        return NearDuplicateDetector.largest(v, used, v.length, keep, new long[v.length]);
    }

    @Test
    void shouldKeepTheLargestHashes() {
        long[] v = new long[700];
        SplittableRandom r = new SplittableRandom(16);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextLong();
        }
        long[] sorted = v.clone();
        Arrays.sort(sorted);
        long[] expected = Arrays.copyOfRange(sorted, 650, 700);
        assertThat(largestOfAll(v.clone(), 50)).containsExactly(expected);
        // all equal to the smallest possible value: fewer than keep pass the cut, all are sorted
        long[] low = new long[300];
        Arrays.fill(low, Long.MIN_VALUE);
        assertThat(largestOfAll(low, 50)).hasSize(50).containsOnly(Long.MIN_VALUE);
        assertThat(largestOfAll(new long[] {3, 1, 2}, 50)).containsExactly(1, 2, 3);
    }
}

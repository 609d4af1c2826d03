package dev.veil.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.veil.AuditLog;
import dev.veil.Credentials;
import dev.veil.Guard;
import dev.veil.Model;
import dev.veil.ModelInfo;
import dev.veil.PolicyBundle;
import dev.veil.ReasonCode;
import dev.veil.ReleasedPrediction;
import dev.veil.Request;
import dev.veil.Response;
import dev.veil.internal.monitor.SmoothDetector;
import dev.veil.policies.MonitoringTests.Caught;
import dev.veil.policies.MonitoringTests.HonestTally;
import dev.veil.policies.MonitoringTests.Outcome;
import dev.veil.policies.tools.BenignTraffic;
import dev.veil.policies.tools.FashionMnist;
import dev.veil.policies.tools.Nes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image-classifier bundle's attack detectors against real Fashion-MNIST traffic, through a real
 * {@link Guard} around the softmax-regression model of the other Guard tests: honest callers sending
 * real test images are (almost) never degraded or blocked, and inversion attackers (NES gradient
 * estimation and hill climbing from a real test image toward another class) are, from one account
 * and spread over ten. A control bundle with the rate detector only (the bundle before the attack
 * detectors) lets every attack through, which shows that the attack tests can fail.
 * Skipped when the data set is not installed.
 */
class ImageClassifierMonitoringTest {
    static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    static final int ATTACK_BUDGET = 50;
    static final int SPREAD_BUDGET = 100;

    static PolicyBundle bundle;
    static SoftmaxRegression classifier;
    static double[][] test;
    static int[] testLabels;

    @TempDir
    Path dir;
    MutableClock clock;

    @BeforeAll
    static void setUp() {
        assumeThat(FashionMnist.available()).as(FashionMnist.MISSING).isTrue();
        bundle = PolicyBundle.classpath("veil-policies/image-classifier");
        classifier = BenignTraffic.model();
        test = FashionMnist.testImages(Integer.MAX_VALUE);
        testLabels = FashionMnist.testLabels(Integer.MAX_VALUE);
    }

    @BeforeEach
    void clock() {
        clock = new MutableClock(START);
    }

    Guard<double[]> guard(PolicyBundle b, String audit) {
        Model<double[]> model = Model.ofVector(ModelInfo.of("fashion-softmax", "test-1", START.minus(Duration.ofDays(10))),
                classifier::predict);
        return Guard.builder(model).policy(b).audit(AuditLog.jsonLines(dir.resolve(audit))).clock(clock).build();
    }

    Credentials analyst(String subject) {
        return Credentials.bearer(DemoTokens.sign(DemoTokens.privateKey(), DemoTokens.ISSUER, subject,
                List.of("analyst"), "acme", Map.of(), clock.instant(), Duration.ofHours(3)));
    }

    static Outcome outcome(Response r) {
        if (r instanceof Response.Denied d) {
            assertThat(d.reason().code()).as("%s", r).isIn(ReasonCode.BLOCKED, ReasonCode.OUT_OF_DISTRIBUTION);
            return d.reason().code() == ReasonCode.BLOCKED ? Outcome.BLOCKED : Outcome.CLEAN;
        }
        Response.Released ok = (Response.Released) r;
        return ok.degraded() ? Outcome.DEGRADED : ok.alerts().isEmpty() ? Outcome.CLEAN : Outcome.ALERTED;
    }

    // ------------------------------------------------------------------ benign traffic

    @Test
    void honestCallersSendingRealTestImagesAreAlmostNeverDegradedOrBlocked() {
        int callers = 200;
        List<BenignTraffic.Query> queries = BenignTraffic.queries(testLabels, callers, 30, BenignTraffic.RETRY, 0, 0, 7,
                START.toEpochMilli());
        Map<String, Credentials> keys = new HashMap<>();
        HonestTally tally = new HonestTally();
        int retries = queries.size() - callers * 30;
        try (Guard<double[]> g = guard(bundle, "benign.jsonl")) {
            for (BenignTraffic.Query q : queries) {
                clock.advance(Duration.ofMillis(Math.max(0, q.tsMs() - clock.millis())));
                Credentials c = keys.computeIfAbsent(q.caller(), this::analyst);
                Response r = g.predict(Request.of(c, test[q.image()]));
                tally.record(q.caller(), r, outcome(r));
            }
        }
        // none alerted either: the bundle alarms only at high (0.1% of 200 callers rounds to none)
        tally.requireAlmostNeverFlagged(callers, queries.size(), retries, 0);
    }

    /**
     * A client that resends one of the 1% of real images that are smooth (a retry loop: 40 times in
     * 10 minutes, among 60 other real images) is neither flagged by {@code smooth} nor blocked: the
     * copies count once.
     */
    @Test
    void aClientRetryingOneSmoothRealImageIsNotFlagged() {
        int retried = -1;
        List<Integer> rough = new ArrayList<>();
        for (int i = 0; i < test.length && (retried < 0 || rough.size() < 60); i++) {
            if (SmoothDetector.roughness(test[i], 28) < SmoothDetector.Config.DEFAULT.floor()) {
                retried = retried < 0 ? i : retried;
            } else if (rough.size() < 60) {
                rough.add(i);
            }
        }
        Credentials c = analyst("retrier");
        try (Guard<double[]> g = guard(bundle, "retry.jsonl")) {
            int next = 0;
            for (int q = 0; q < 100; q++) {
                double[] x = q % 5 < 2 ? test[retried].clone() : test[rough.get(next++)];
                Response r = g.predict(Request.of(c, x));
                assertThat(outcome(r)).as("query %d: %s", q, r).isNotEqualTo(Outcome.BLOCKED);
                if (r instanceof Response.Released ok) {
                    assertThat(ok.alerts()).as("query %d", q).noneMatch(a -> a.startsWith("smooth"));
                }
                clock.advance(Duration.ofMillis(5_900));
            }
        }
    }

    /**
     * A client's retries of an image X (a request and 5 timeout retries, 1 s apart) do not count
     * against Y, the real test image nearest to X, sent next by another caller: {@code knn_global}
     * counts each input of its cells once (with X's copies counted, about 4% of such Y were answered
     * with labels only). 300 pairs, each in a {@code knn_global} window of its own.
     */
    @Test
    void anotherCallersRetriesDoNotDegradeTheNearestRealImage() {
        List<String> flagged = new ArrayList<>();
        try (Guard<double[]> g = guard(bundle, "retried.jsonl")) {
            for (int k = 0; k < 300; k++) {
                int xi = k * 31 % test.length;
                Credentials a = analyst("a-" + k);
                for (int s = 0; s < 6; s++) {
                    g.predict(Request.of(a, test[xi].clone()));
                    clock.advance(Duration.ofSeconds(1));
                }
                Response r = g.predict(Request.of(analyst("b-" + k), test[BenignPatternsStudy.nearestOnTiles(test, xi)]));
                if (outcome(r) != Outcome.CLEAN) {
                    flagged.add("pair " + k + ": " + r);
                }
                clock.advance(Duration.ofSeconds(120));
            }
        }
        assertThat(flagged).isEmpty();
    }

    // ------------------------------------------------------------------ attacks

    /** An inversion attacker: asks for the next probe, reads the released answer. */
    interface Attack {
        double[] next();

        void answer(ReleasedPrediction p);
    }

    /** The released score of {@code label}; 0 when it is not released or nothing is ({@code p} null). */
    static double score(ReleasedPrediction p, String label) {
        if (p == null) {
            return 0;
        }
        return p.scores().stream().filter(s -> s.label().equals(label)).mapToDouble(s -> s.score()).findFirst()
                .orElse(0);
    }

    /** NES ({@link Nes}) toward a higher released score of the target class. */
    static Attack nes(double[] start, String target, double sigma, long seed) {
        return nes(start, target, sigma, seed, 0);
    }

    /** NES toward the target; with {@code blur} > 0 the directions are smooth ({@link Nes}). */
    static Attack nes(double[] start, String target, double sigma, long seed, int blur) {
        Nes walk = new Nes(start, sigma, seed, blur);
        return attack(walk::next, p -> walk.answer(score(p, target)));
    }

    /** An attack of its two halves. */
    static Attack attack(java.util.function.Supplier<double[]> next,
            java.util.function.Consumer<ReleasedPrediction> answer) {
        return new Attack() {
            @Override
            public double[] next() {
                return next.get();
            }

            @Override
            public void answer(ReleasedPrediction p) {
                answer.accept(p);
            }
        };
    }

    /** Hill climbing: a random 3x3 patch changed by +-delta, kept when the target's released score does not fall. */
    static Attack hillClimb(double[] start, String target, double delta, long seed) {
        return new Attack() {
            double[] x = start.clone();
            double[] probe;
            double best = -1;
            final SplittableRandom r = new SplittableRandom(seed);

            @Override
            public double[] next() {
                probe = x.clone();
                if (best >= 0) {
                    int row = r.nextInt(26);
                    int col = r.nextInt(26);
                    double d = r.nextBoolean() ? delta : -delta;
                    for (int i = 0; i < 3; i++) {
                        for (int j = 0; j < 3; j++) {
                            int k = (row + i) * 28 + col + j;
                            probe[k] = Nes.clip(probe[k] + d);
                        }
                    }
                }
                return probe;
            }

            @Override
            public void answer(ReleasedPrediction p) {
                double s = score(p, target);
                if (s >= best) {
                    best = s;
                    x = probe;
                }
            }
        };
    }

    /** The start image (a real test image of class 0, t-shirt) and the target (class 2, pullover). */
    static double[] start() {
        for (int i = 0; i < testLabels.length; i++) {
            if (testLabels[i] == 0 && classifier.predict(test[i]).topIndex() == 0) {
                return test[i];
            }
        }
        throw new AssertionError("no t-shirt");
    }

    static Map<String, Attack> attacks() {
        Map<String, Attack> m = new TreeMap<>();
        m.put("nes-pixel-0.001", nes(start(), "pullover", 0.001, 1));
        m.put("nes-pixel-0.02", nes(start(), "pullover", 0.02, 2));
        m.put("nes-pixel-0.05", nes(start(), "pullover", 0.05, 3));
        // large probes, whose per-pixel noise hides the walk from distances on raw pixels (a red-team
        // review's finding): knn and knn_global measure on 4x4 tile means
        m.put("nes-pixel-0.1", nes(start(), "pullover", 0.1, 5));
        m.put("nes-pixel-0.2", nes(start(), "pullover", 0.2, 6));
        m.put("hill-climb-3x3-0.1", hillClimb(start(), "pullover", 0.1, 4));
        return m;
    }

    /**
     * Runs an attack from {@code accounts} accounts, round-robin, one query a second, for at most
     * {@code budget} queries; stops at the first degraded or blocked answer.
     */
    Caught run(PolicyBundle b, Attack attack, int accounts, int budget) {
        return run(b, attack, accounts, budget, false);
    }

    /**
     * As {@link #run(PolicyBundle, Attack, int, int)}; with {@code refusalsAnswerNothing}, a probe that
     * validation refuses as out of distribution is answered with no scores (the attack reads 0 for
     * every class) and the attack goes on.
     */
    Caught run(PolicyBundle b, Attack attack, int accounts, int budget, boolean refusalsAnswerNothing) {
        List<Credentials> ids = new ArrayList<>();
        for (int a = 0; a < accounts; a++) {
            ids.add(analyst("mallory-" + a + "@example.com"));
        }
        try (Guard<double[]> g = guard(b, "attack-" + System.nanoTime() + ".jsonl")) {
            for (int n = 0; n < budget; n++) {
                clock.advance(Duration.ofSeconds(1));
                Response r = g.predict(Request.of(ids.get(n % accounts), attack.next()));
                Outcome o = outcome(r);
                if (refusalsAnswerNothing && r instanceof Response.Denied d
                        && d.reason().code() == ReasonCode.OUT_OF_DISTRIBUTION) {
                    attack.answer(null);
                    continue;
                }
                if (r instanceof Response.Denied d) {
                    assertThat(o).as("probe %d refused: %s", n, d.reason()).isEqualTo(Outcome.BLOCKED);
                }
                Caught caught = Caught.at(n, r, o);
                if (caught != null) {
                    return caught;
                }
                attack.answer(((Response.Released) r).prediction());
            }
        }
        return null;
    }

    @Test
    void everyInversionAttackFromOneAccountIsStoppedWithinFiftyQueries() {
        Map<String, Caught> caught = new TreeMap<>();
        attacks().forEach((name, a) -> caught.put(name, run(bundle, a, 1, ATTACK_BUDGET)));
        System.out.println("one account: " + caught);
        assertThat(caught).hasSize(6).allSatisfy((name, c) -> {
            assertThat(c).as(name + " not caught within %d queries", ATTACK_BUDGET).isNotNull();
            assertThat(c.outcome()).as(name).isIn(Outcome.DEGRADED, Outcome.BLOCKED);
            assertThat(c.rules()).as(name).anyMatch(r -> r.startsWith("near-duplicate-") || r.startsWith("knn-")
                    || r.startsWith("antithetic-"));
        });
        // the per-pixel NES of sigma 0.02 and more is a walk the caller's knn sees on its sixth query (sigma
        // 0.02: antithetic on its fifth, its probes so close to their point that pairs of probes of two
        // directions, which gap 3 forms, share it too)
        assertThat(caught.get("nes-pixel-0.02").query()).isLessThanOrEqualTo(5);
        assertThat(caught.get("nes-pixel-0.05").query()).isLessThanOrEqualTo(5);
        assertThat(caught.get("nes-pixel-0.1").query()).isLessThanOrEqualTo(5);
        assertThat(caught.get("nes-pixel-0.2").query()).isLessThanOrEqualTo(5);
        // probes within a quantisation bucket are near duplicates from the second or third query on
        assertThat(caught.get("nes-pixel-0.001").query()).isLessThanOrEqualTo(3);
        // the figures policies/README.md gives (its table of inversion attacks), exactly: the traffic is seeded
        assertThat(queries(caught)).as("policies/README.md, one account").containsExactlyInAnyOrderEntriesOf(Map.of(
                "hill-climb-3x3-0.1", 1, "nes-pixel-0.001", 2, "nes-pixel-0.02", 5, "nes-pixel-0.05", 5,
                "nes-pixel-0.1", 5, "nes-pixel-0.2", 5));
    }

    /** The query each attack was caught at, by name in name order. */
    private static Map<String, Integer> queries(Map<String, Caught> caught) {
        Map<String, Integer> q = new TreeMap<>();
        caught.forEach((name, c) -> q.put(name, c == null ? null : c.query()));
        return q;
    }

    @Test
    void theSameAttacksSpreadOverTenAccountsAreCaughtByTheGlobalDetectors() {
        Map<String, Caught> caught = new TreeMap<>();
        // 10 accounts round-robin: within 50 queries no account sends the 6 queries its own knn needs;
        // the issue's budget for a spread attack is 100 queries in total
        attacks().forEach((name, a) -> caught.put(name, run(bundle, a, 10, SPREAD_BUDGET)));
        System.out.println("ten accounts: " + caught);
        assertThat(caught).hasSize(6).allSatisfy((name, c) -> {
            assertThat(c).as(name + " spread over 10 accounts, not caught within %d queries", SPREAD_BUDGET)
                    .isNotNull();
            assertThat(c.outcome()).as(name).isIn(Outcome.DEGRADED, Outcome.BLOCKED);
            assertThat(c.query()).as(name).isLessThan(SPREAD_BUDGET);
            assertThat(c.rules()).as(name).anyMatch(r -> r.startsWith("near-duplicate-") || r.startsWith("knn-")
                    || r.startsWith("antithetic-tenant-"));
        });
        // every one is seen across the accounts (the global detectors, or the NES pairs in the tenant's
        // stream), before any account's own knn could
        for (String name : List.of("nes-pixel-0.001", "nes-pixel-0.02", "nes-pixel-0.05", "nes-pixel-0.1",
                "nes-pixel-0.2", "hill-climb-3x3-0.1")) {
            assertThat(caught.get(name).query()).as(name).isLessThan(ATTACK_BUDGET);
            assertThat(caught.get(name).rules()).as(name).anyMatch(r -> r.startsWith("near-duplicate-")
                    || r.startsWith("knn-global-") || r.startsWith("antithetic-tenant-"));
        }
        assertThat(queries(caught)).as("policies/README.md, 10 accounts").containsExactlyInAnyOrderEntriesOf(Map.of(
                "hill-climb-3x3-0.1", 1, "nes-pixel-0.001", 2, "nes-pixel-0.02", 5, "nes-pixel-0.05", 5,
                "nes-pixel-0.1", 5, "nes-pixel-0.2", 5));
    }

    /**
     * NES whose probes are as far apart as natural images get past the distance detectors: smooth
     * directions (averaged over 5x5 pixels), and the prior attacker (NES in a PCA basis) at
     * sigma 1 (NES in a 40-component PCA basis of 10,000 training images, each probe an image). Its
     * antithetic pairs, x + sigma u then x - sigma u, share their midpoint: the antithetic detector
     * stops each of them within 50 queries of one account, and without its rules none of them is.
     */
    @Test
    void nesWithProbesAsFarApartAsImagesIsStoppedByItsAntitheticPairs() throws IOException {
        double[][] train = FashionMnist.trainImages(40_000);
        dev.veil.internal.monitor.traffic.PcaBasis basis = dev.veil.internal.monitor.traffic.PcaBasis.learn(
                List.of(java.util.Arrays.copyOfRange(train, 30_000, 40_000)), 40, 7);
        java.util.function.Supplier<Map<String, Attack>> far = () -> {
            Map<String, Attack> m = new TreeMap<>();
            m.put("nes-smooth-0.2", nes(start(), "pullover", 0.2, 7, 2));
            m.put("prior-pca-1.0", prior(basis, start(), 1.0, 9));
            return m;
        };
        Map<String, Caught> caught = new TreeMap<>();
        far.get().forEach((name, a) -> caught.put(name, run(bundle, a, 1, ATTACK_BUDGET, true)));
        System.out.println("probes as far apart as images: " + caught);
        assertThat(caught).hasSize(2).allSatisfy((name, c) -> {
            assertThat(c).as(name + " not caught within %d queries", ATTACK_BUDGET).isNotNull();
            assertThat(c.outcome()).as(name).isIn(Outcome.DEGRADED, Outcome.BLOCKED);
            assertThat(c.rules()).as(name).anyMatch(r -> r.startsWith("antithetic-"));
            assertThat(c.query()).as(name).isLessThanOrEqualTo(5);
        });

        Path policy = copyWithoutRules("without-antithetic", "antithetic-");
        Path without = policy.getParent();
        String stripped = Files.readString(policy);
        assertThat(stripped).contains("antithetic:");
        // without the antithetic rules, the prior attacker's probes (drawn from 40 principal
        // components) are still too smooth to be real images; the smooth NES's (a real image plus a
        // smooth direction) are not
        Map<String, Caught> withoutAntithetic = new TreeMap<>();
        PolicyBundle smoothOnly = PolicyBundle.load(without);
        far.get().forEach((name, a) -> withoutAntithetic.put(name, run(smoothOnly, a, 1, ATTACK_BUDGET, true)));
        System.out.println("without the antithetic rules: " + withoutAntithetic);
        assertThat(withoutAntithetic.get("nes-smooth-0.2")).isNull();
        assertThat(withoutAntithetic.get("prior-pca-1.0")).isNotNull();
        assertThat(withoutAntithetic.get("prior-pca-1.0").rules()).contains("smooth-block");
        assertThat(withoutAntithetic.get("prior-pca-1.0").query()).isLessThan(ATTACK_BUDGET);
        // policies/README.md ("Smooth probes") gives these exactly: the traffic is seeded
        assertThat(queries(caught)).containsExactlyInAnyOrderEntriesOf(Map.of("nes-smooth-0.2", 5, "prior-pca-1.0", 5));
        assertThat(withoutAntithetic.get("prior-pca-1.0").query()).as("policies/README.md").isEqualTo(19);
        String neither = withoutRules(stripped, "smooth-");
        assertThat(neither).doesNotContain("id: smooth-").contains("smooth:");
        Files.writeString(policy, neither);
        PolicyBundle control = PolicyBundle.load(without);
        far.get().forEach((name, a) -> assertThat(run(control, a, 1, ATTACK_BUDGET, true)).as(name).isNull());
    }

    /**
     * A one-sided search in a PCA basis of public images spread over ten accounts of one tenant: each
     * probe a fresh natural-looking image (no antithetic pairs, no two probes close), each account
     * one probe every 10 s, so no account sends 20 within its own 10-minute window before the
     * attack's 190th probe. The tenant's stream holds them all: {@code smooth_tenant} degrades the
     * answers (labels only) from the tenant's 20th probe, within the issue's budget of 100 queries
     * in total; without its rule nothing stops the attack within that budget.
     */
    @Test
    void aOneSidedBasisSearchSpreadOverATenantsAccountsGetsLabelsOnlyForTheTenantsSmoothShare() throws IOException {
        double[][] train = FashionMnist.trainImages(40_000);
        dev.veil.internal.monitor.traffic.PcaBasis basis = dev.veil.internal.monitor.traffic.PcaBasis.learn(
                List.of(java.util.Arrays.copyOfRange(train, 30_000, 40_000)), 40, 7);
        java.util.function.Supplier<Attack> probes = () -> {
            java.util.SplittableRandom r = new java.util.SplittableRandom(17);
            return attack(() -> {
                double[] z = new double[basis.size()];
                for (int i = 0; i < z.length; i++) {
                    z[i] = r.nextGaussian();
                }
                return basis.image(z);
            }, p -> { });
        };
        Caught caught = run(bundle, probes.get(), 10, 2 * ATTACK_BUDGET, true);
        System.out.println("one-sided basis search over 10 accounts: " + caught);
        assertThat(caught).as("not caught within %d queries", 2 * ATTACK_BUDGET).isNotNull();
        assertThat(caught.outcome()).isEqualTo(Outcome.DEGRADED);
        assertThat(caught.rules()).anyMatch(r -> r.startsWith("smooth-tenant-degrade"));
        assertThat(caught.query()).isLessThan(2 * ATTACK_BUDGET);
        assertThat(caught.query()).as("policies/README.md: at query 20 of 100").isEqualTo(20);

        Path policy = copyWithoutRules("without-smooth-tenant", "smooth-tenant-");
        assertThat(Files.readString(policy)).contains("id: smooth-block").doesNotContain("smooth-tenant-");
        assertThat(run(PolicyBundle.load(policy.getParent()), probes.get(), 10, 2 * ATTACK_BUDGET, true)).isNull();
    }

    /**
     * A copy of the shipped bundle in {@code name} (under the test's directory) whose policy has no
     * monitoring rule whose id starts with {@code idPrefix}; returns the copy's policy file.
     */
    Path copyWithoutRules(String name, String idPrefix) throws IOException {
        Path without = dir.resolve(name);
        MonitoringTests.copyBundle(Path.of("bundles/image-classifier"), without);
        Path policy = without.resolve("image-classifier.veil.yaml");
        String stripped = withoutRules(Files.readString(policy), idPrefix);
        assertThat(stripped).doesNotContain("id: " + idPrefix);
        Files.writeString(policy, stripped);
        return policy;
    }

    /**
     * The policy without its monitoring rules whose id starts with {@code idPrefix} (each rule from
     * its {@code - id:} line to its action, or to the cool-down of a block).
     */
    static String withoutRules(String yaml, String idPrefix) {
        return yaml.replaceAll("\n    - id: " + java.util.regex.Pattern.quote(idPrefix) + "[^\n]*\n(?:      [^\n]*\n)*?"
                + "      (?:action: (?:alert|degrade)|cooldown_seconds: 86400[^\n]*)(?=\n)", "");
    }

    /** veil-core's prior attacker toward pullover on the released scores (classes not released: 0). */
    static Attack prior(dev.veil.internal.monitor.traffic.PcaBasis basis, double[] start, double sigma, long seed) {
        dev.veil.internal.monitor.traffic.Attack walk = dev.veil.internal.monitor.traffic.Attacks.pcaSearch("prior",
                basis, start, 2, sigma, 0.05, seed);
        return attack(walk::next, p -> {
            double[] scores = new double[FashionMnist.CLASSES.size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = score(p, FashionMnist.CLASSES.get(i));
            }
            walk.answer(scores);
        });
    }

    @Test
    void withTheRateDetectorOnlyNoAttackIsStopped() throws IOException {
        PolicyBundle rateOnly = PolicyBundle.load(rateOnlyCopy());
        Map<String, Caught> caught = new TreeMap<>();
        attacks().forEach((name, a) -> caught.put(name, run(rateOnly, a, 1, ATTACK_BUDGET)));
        assertThat(caught).allSatisfy((name, c) -> assertThat(c).as(name).isNull());
    }

    /** A copy of the bundle whose monitoring is what it was before the attack detectors: the rate ladder. */
    Path rateOnlyCopy() throws IOException {
        Path src = Path.of("bundles/image-classifier");
        Path dst = dir.resolve("rate-only");
        MonitoringTests.copyBundle(src, dst);
        String rate = """

                monitoring:
                  detectors:
                    rate: {window_seconds: 60, low: 60, medium: 120, high: 180}
                  rules:
                    - {id: rate-alert, when: {signals: {rate: low}}, action: alert}
                    - {id: rate-degrade, when: {signals: {rate: medium}}, action: degrade}
                    - {id: rate-block, when: {signals: {rate: high}}, action: block, cooldown_seconds: 900}
                """;
        MonitoringTests.replaceMonitoring(dst.resolve("image-classifier.veil.yaml"), rate);
        return dst;
    }
}
